namespace Mimisbrunnr.Dispatch;

/// <summary>The overall result of one <see cref="INornDestinationSender.SendAsync(Norns.Norn, IReadOnlyList{Routing.RoutedEvent}, CancellationToken)"/> call.</summary>
public enum DeliveryStatus
{
    /// <summary>The destination accepted the batch (possibly except <see cref="DeliveryOutcome.FailedCount"/> events).</summary>
    Delivered,

    /// <summary>The destination did not accept the batch, after retries or with a final error.</summary>
    Failed,

    /// <summary>
    /// The destination is gone for good (HTTP 410 Gone from an HTTP destination): the norn is removed and its dispatcher
    /// stops. The SQS destination does not use it: a missing queue may be created again, so it fails the batch
    /// (<see cref="Failed"/>) and tells the owner, and the norn stays.
    /// </summary>
    Gone,
}

/// <summary>
/// The result of one <see cref="INornDestinationSender.SendAsync(Norns.Norn, IReadOnlyList{Routing.RoutedEvent}, CancellationToken)"/> call: a status and how many events of the batch
/// were not delivered (a batch destination such as SQS may fail some entries only).
/// </summary>
/// <param name="Status">The overall status.</param>
/// <param name="FailedCount">How many events of the batch were not delivered; the dispatcher counts them as dropped.</param>
public readonly record struct DeliveryOutcome(DeliveryStatus Status, int FailedCount)
{
    /// <summary>Every event of the batch was delivered.</summary>
    public static DeliveryOutcome Delivered => new(DeliveryStatus.Delivered, 0);

    /// <summary>The destination is gone for good; the norn is to be removed.</summary>
    public static DeliveryOutcome Gone => new(DeliveryStatus.Gone, 0);

    /// <summary>The batch, or <paramref name="failedCount"/> events of it, could not be delivered.</summary>
    /// <param name="failedCount">How many events were not delivered (at least 1).</param>
    /// <returns>A failed outcome.</returns>
    public static DeliveryOutcome Failed(int failedCount) =>
        new(DeliveryStatus.Failed, failedCount > 0 ? failedCount : throw new ArgumentOutOfRangeException(nameof(failedCount)));

    /// <summary>Some events of a batch were delivered and <paramref name="failedCount"/> were not.</summary>
    /// <param name="failedCount">How many events were not delivered (0 or more).</param>
    /// <returns>A delivered outcome that still counts the failed events.</returns>
    public static DeliveryOutcome Partial(int failedCount) =>
        new(DeliveryStatus.Delivered, failedCount >= 0 ? failedCount : throw new ArgumentOutOfRangeException(nameof(failedCount)));
}
