using Microsoft.Extensions.Logging;

namespace Mimisbrunnr.PostgreSql;

/// <summary>
/// Every log message of this package, in one place so that event ids stay unique: this package owns 2000–2099.
/// Messages name the server (host, port, database), never a connection string.
/// </summary>
internal static partial class PostgreSqlLog
{
    [LoggerMessage(EventIds.Migrated, LogLevel.Information, "Norn database {Server} migrated from schema version {From} to {To}.")]
    public static partial void Migrated(ILogger logger, string server, int from, int to);

    [LoggerMessage(EventIds.ListenerConnected, LogLevel.Information, "Listening for norn changes on {Server}.")]
    public static partial void ListenerConnected(ILogger logger, string server);

    [LoggerMessage(EventIds.ListenerReconnected, LogLevel.Information, "Listening for norn changes on {Server} again; subscribers reload.")]
    public static partial void ListenerReconnected(ILogger logger, string server);

    [LoggerMessage(EventIds.ListenerLost, LogLevel.Warning, "The norn change listener on {Server} failed; reconnecting in {Delay}.")]
    public static partial void ListenerLost(ILogger logger, string server, TimeSpan delay, Exception exception);

    [LoggerMessage(EventIds.Retrying, LogLevel.Warning, "Norn store operation {Operation} failed (attempt {Attempt}); retrying.")]
    public static partial void Retrying(ILogger logger, string operation, int attempt, Exception exception);

    [LoggerMessage(
        EventIds.Rekeyed,
        LogLevel.Information,
        "Norn database {Server}: {Examined} norns brought to the current identity rules: {Rekeyed} re-keyed, {Merged} merged into a newer duplicate, {Rewritten} rewritten with normalised URLs under the same id.")]
    public static partial void Rekeyed(ILogger logger, string server, int examined, int rekeyed, int merged, int rewritten);

    [LoggerMessage(EventIds.UnknownNotification, LogLevel.Warning, "Ignored an unknown norn notification {Payload}; subscribers reload.")]
    public static partial void UnknownNotification(ILogger logger, string payload);
}
