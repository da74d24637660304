using Microsoft.Extensions.Logging;

namespace Mimisbrunnr.Sqlite;

/// <summary>Every log message of this package, in one place so that event ids stay unique (see <see cref="EventIds"/>).</summary>
internal static partial class SqliteLog
{
    [LoggerMessage(EventIds.Migrated, LogLevel.Information, "Norn database {DataSource} migrated from schema version {From} to {To}.")]
    public static partial void Migrated(ILogger logger, string dataSource, int from, int to);

    [LoggerMessage(EventIds.NotWal, LogLevel.Warning, "Norn database {DataSource} is in journal mode {Mode}, not WAL.")]
    public static partial void NotWal(ILogger logger, string dataSource, string mode);

    [LoggerMessage(
        EventIds.Rekeyed,
        LogLevel.Information,
        "Norn database {DataSource}: {Examined} norns brought to the current identity rules: {Rekeyed} re-keyed, {Merged} merged into a newer duplicate, {Rewritten} rewritten with normalised URLs under the same id.")]
    public static partial void Rekeyed(ILogger logger, string dataSource, int examined, int rekeyed, int merged, int rewritten);
}
