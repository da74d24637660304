using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Dispatch;

/// <summary>
/// Tells a norn's owner that the norn was cut off (its buffer overflowed). The dispatcher calls it once per cut-off,
/// without waiting and without retrying; the HTTP implementation POSTs the Caduceus-style failure message to the norn's
/// <see cref="HttpDestination.FailureUrl"/> (or <see cref="SqsDestination.FailureUrl"/>).
/// </summary>
public interface INornCutOffNotifier
{
    /// <summary>Sends the cut-off notice, if the norn has somewhere to send it.</summary>
    /// <param name="norn">The norn that was cut off.</param>
    /// <param name="notice">The cut-off parameters.</param>
    /// <param name="cancellationToken">Cancelled when the host stops or the notice takes too long.</param>
    /// <returns>A task that completes when the notice was sent (its answer is ignored) or not needed.</returns>
    ValueTask NotifyAsync(Norn norn, CutOffNotice notice, CancellationToken cancellationToken);
}

/// <summary>The parameters of one cut-off, as reported to the norn's owner.</summary>
/// <param name="CutOffPeriod">How long events are dropped.</param>
/// <param name="Until">When the cut-off ends.</param>
/// <param name="QueueSize">The capacity of the norn's buffer.</param>
/// <param name="WorkerCount">The concurrent sends per norn.</param>
public sealed record CutOffNotice(TimeSpan CutOffPeriod, DateTimeOffset Until, int QueueSize, int WorkerCount);
