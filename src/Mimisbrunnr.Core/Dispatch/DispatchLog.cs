using Microsoft.Extensions.Logging;
using Mimisbrunnr.Diagnostics;

namespace Mimisbrunnr.Dispatch;

/// <summary>The dispatch side's log messages. Norn ids only: never URLs (they may carry tokens) nor secrets.</summary>
internal static partial class DispatchLog
{
    [LoggerMessage(EventIds.CutOffStarted, LogLevel.Warning,
        "Norn {NornId} is cut off: its buffer of {QueueSize} events was full; {Dropped} events dropped, and everything for the next {CutOffPeriod}.")]
    public static partial void CutOffStarted(ILogger logger, string nornId, int queueSize, TimeSpan cutOffPeriod, long dropped);

    [LoggerMessage(EventIds.CutOffNoticeFailed, LogLevel.Warning, "The cut-off notice of norn {NornId} could not be sent.")]
    public static partial void CutOffNoticeFailed(ILogger logger, Exception exception, string nornId);

    [LoggerMessage(EventIds.NoSender, LogLevel.Error, "No destination sender serves the kind '{Kind}' of norn {NornId}; its events are dropped.")]
    public static partial void NoSender(ILogger logger, string nornId, string kind);

    [LoggerMessage(EventIds.SenderThrew, LogLevel.Error, "The {Kind} sender threw while delivering to norn {NornId}; the batch counts as failed.")]
    public static partial void SenderThrew(ILogger logger, Exception exception, string nornId, string kind);

    [LoggerMessage(EventIds.DestinationGone, LogLevel.Information, "The {Kind} destination of norn {NornId} is gone; the norn is removed.")]
    public static partial void DestinationGone(ILogger logger, string nornId, string kind);

    [LoggerMessage(EventIds.RemoveFailed, LogLevel.Warning, "Norn {NornId} could not be removed after its destination was gone.")]
    public static partial void RemoveFailed(ILogger logger, Exception exception, string nornId);

    [LoggerMessage(EventIds.DispatcherStopped, LogLevel.Debug, "The dispatcher of norn {NornId} stopped ({Reason}).")]
    public static partial void DispatcherStopped(ILogger logger, string nornId, string reason);

    [LoggerMessage(EventIds.DispatcherRetired, LogLevel.Debug, "The dispatcher of norn {NornId} was retired after being idle.")]
    public static partial void DispatcherRetired(ILogger logger, string nornId);

    [LoggerMessage(EventIds.WorkerFailed, LogLevel.Error, "A worker of norn {NornId} failed unexpectedly.")]
    public static partial void WorkerFailed(ILogger logger, Exception exception, string nornId);

    [LoggerMessage(EventIds.Draining, LogLevel.Information, "Stopping: draining {Dispatchers} norn buffers for at most {DrainTimeout}.")]
    public static partial void Draining(ILogger logger, int dispatchers, TimeSpan drainTimeout);

    [LoggerMessage(EventIds.AbortCallbackFailed, LogLevel.Warning, "A cancellation callback failed while aborting deliveries.")]
    public static partial void AbortCallbackFailed(ILogger logger, Exception exception);
}
