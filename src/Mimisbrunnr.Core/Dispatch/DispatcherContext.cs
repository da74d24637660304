using Microsoft.Extensions.Logging;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Registry;

namespace Mimisbrunnr.Dispatch;

/// <summary>
/// What a <see cref="NornDispatcher"/> needs from the host, handed to it whole: the clock, the metrics and logger, the
/// current version of a norn, where to report what happened, and the token that aborts every send at the shutdown
/// deadline. A dispatcher reaches nothing else, so it can be built and tested without a pool.
/// </summary>
internal sealed record DispatcherContext(
    TimeProvider Time,
    MimisbrunnrMetrics Metrics,
    ILogger Logger,
    Func<string, RegisteredNorn?> FindNorn,
    IDispatcherListener Listener,
    CancellationToken Aborted);

/// <summary>The outcomes a dispatcher reports to whoever owns it (the pool).</summary>
internal interface IDispatcherListener
{
    /// <summary>The norn's buffer overflowed and its cut-off began; <paramref name="dropped"/> events were emptied.</summary>
    void OnCutOff(NornDispatcher dispatcher, RegisteredNorn norn, CutOffNotice notice, long dropped);

    /// <summary>The destination answered that it is gone for good (HTTP 410); the dispatcher has stopped.</summary>
    void OnGone(string nornId);

    /// <summary>The dispatcher's last worker exited; it takes no more events.</summary>
    void OnExited(NornDispatcher dispatcher);
}

/// <summary>
/// Removes norns on the system's behalf. Implemented by the norn service, the one owner of removals (store first, then
/// the index), so that the delivery side never writes the store itself.
/// </summary>
internal interface INornRemoval
{
    /// <summary>Removes a norn whose destination is gone.</summary>
    /// <param name="nornId">The norn id.</param>
    /// <param name="cancellationToken">Cancelled when the host stops.</param>
    /// <returns>A task that completes when the norn is gone from the store and the index.</returns>
    ValueTask RemoveGoneAsync(string nornId, CancellationToken cancellationToken);
}
