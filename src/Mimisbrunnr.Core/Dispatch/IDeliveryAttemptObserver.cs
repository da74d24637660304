namespace Mimisbrunnr.Dispatch;

/// <summary>
/// Receives every attempt a <see cref="INornDestinationSender"/> makes during one send: each try of the retry loop for
/// HTTP, each request for SQS. The dispatcher passes one with every send and keeps the norn's last attempts and its
/// last failure from what it reports, so that a sender never needs to know how they are shown.
/// </summary>
/// <remarks>Called on the sender's thread, possibly concurrently for a norn with several workers; implementations are
/// thread-safe and return at once.</remarks>
public interface IDeliveryAttemptObserver
{
    /// <summary>Reports one finished attempt.</summary>
    /// <param name="attempt">What happened.</param>
    void OnAttempt(in DeliveryAttempt attempt);
}

/// <summary>One finished attempt, as a sender reports it to an <see cref="IDeliveryAttemptObserver"/>.</summary>
/// <remarks>
/// Report what an operator may see: a status code or a short error kind
/// (<see cref="Norns.DeliveryErrorKinds"/>, or a destination's own error code), never a response body, a URL or a
/// secret.
/// </remarks>
public readonly record struct DeliveryAttempt
{
    /// <summary>When the attempt started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>How long it took.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>1 for the first try of an event or request, 2 and up for its retries.</summary>
    public required int Number { get; init; }

    /// <summary>Whether the destination accepted it.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>The status code the destination answered, if any.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The kind of error, when it failed without a status that says it all.</summary>
    public string? Error { get; init; }

    /// <summary>The event's WRP transaction id, when the attempt carried one event.</summary>
    public string? TransactionId { get; init; }

    /// <summary>How many events the attempt carried (at least 1).</summary>
    public required int Events { get; init; }
}

/// <summary>Observers every sender can use.</summary>
public static class DeliveryAttemptObservers
{
    /// <summary>An observer that ignores every attempt (for sends made outside a dispatcher).</summary>
    public static IDeliveryAttemptObserver None { get; } = new NoObserver();

    private sealed class NoObserver : IDeliveryAttemptObserver
    {
        public void OnAttempt(in DeliveryAttempt attempt)
        {
        }
    }
}
