using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;

namespace Mimisbrunnr.Dispatch;

/// <summary>
/// Sends events to one kind of destination (HTTP webhook, Amazon SQS queue, ...). The dispatcher of each norn picks the
/// sender whose <see cref="Kind"/> equals the norn's <see cref="NornDestination.Kind"/>; register senders with
/// <c>TryAddEnumerable</c> so that providers can add their own.
/// </summary>
/// <remarks>
/// <para>
/// A sender owns everything about one send: encoding, signing, retries and timeouts. It reports the result as a
/// <see cref="DeliveryOutcome"/>; the dispatcher counts metrics and drops, removes the norn on
/// <see cref="DeliveryStatus.Gone"/>, and never calls a sender concurrently for one norn unless the norn has more than
/// one worker.
/// </para>
/// <para>
/// Cancellation means the host stops or the norn was deleted: a sender throws <see cref="OperationCanceledException"/>
/// (or returns promptly) and the dispatcher counts the batch as dropped with the matching reason.
/// </para>
/// </remarks>
public interface INornDestinationSender
{
    /// <summary>The destination kind served, matching <see cref="NornDestination.Kind"/> (see <see cref="DestinationKinds"/>).</summary>
    string Kind { get; }

    /// <summary>
    /// The most events one <see cref="SendAsync(Norn, IReadOnlyList{RoutedEvent}, CancellationToken)"/> call takes. Above 1, the dispatcher batches events that are already
    /// buffered (it never waits to fill a batch). HTTP uses 1.
    /// </summary>
    int MaxBatchSize { get; }

    /// <summary>Delivers a batch of events of one norn.</summary>
    /// <param name="norn">The current version of the norn (read just before the send, so updates apply at once).</param>
    /// <param name="batch">One to <see cref="MaxBatchSize"/> events, oldest first. Valid only during the call.</param>
    /// <param name="cancellationToken">Cancelled when the host stops or the norn is deleted.</param>
    /// <returns>What happened to the batch.</returns>
    ValueTask<DeliveryOutcome> SendAsync(Norn norn, IReadOnlyList<RoutedEvent> batch, CancellationToken cancellationToken);

    /// <summary>
    /// Delivers a batch of events of one norn and reports each attempt (each try, each request) to
    /// <paramref name="attempts"/>. The dispatcher calls this overload; a sender that does not override it reports no
    /// attempts, and the norn's status then shows only the outcome of each send.
    /// </summary>
    /// <param name="norn">The current version of the norn (read just before the send, so updates apply at once).</param>
    /// <param name="batch">One to <see cref="MaxBatchSize"/> events, oldest first. Valid only during the call.</param>
    /// <param name="attempts">Receives every attempt; never <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancelled when the host stops or the norn is deleted.</param>
    /// <returns>What happened to the batch.</returns>
    ValueTask<DeliveryOutcome> SendAsync(
        Norn norn, IReadOnlyList<RoutedEvent> batch, IDeliveryAttemptObserver attempts, CancellationToken cancellationToken) =>
        SendAsync(norn, batch, cancellationToken);
}
