using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Sqlite;

/// <summary>
/// The schema of the SQLite norn store and its migrations. Each migration moves the schema from version <c>i</c> to
/// <c>i + 1</c> inside the one migration transaction: its SQL first, then its code, when it has either.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The schema version this code writes.</summary>
    public const int Version = 2;

    /// <summary>Entry <c>i</c> moves the schema from version <c>i</c> to <c>i + 1</c>.</summary>
    public static readonly SqliteMigration[] Migrations =
    [
        // 0 -> 1: the table.
        new(
            """
            CREATE TABLE norns (
                id TEXT NOT NULL PRIMARY KEY,
                owner TEXT NOT NULL,
                device_id TEXT NOT NULL,
                device_key TEXT NOT NULL,
                expires_at INTEGER NOT NULL,
                document TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX ix_norns_device_key ON norns (device_key, expires_at);
            CREATE INDEX ix_norns_expires_at ON norns (expires_at);
            CREATE INDEX ix_norns_owner_id_expires_at ON norns (owner, id, expires_at);
            """),

        // 1 -> 2: the device quota counts per owner and device; ids follow the current identity rules (device key,
        // normalised URL), so rows written under the old ones are re-keyed and duplicates merged.
        new(
            "CREATE INDEX IF NOT EXISTS ix_norns_owner_device_key ON norns (owner, device_key, expires_at);",
            SqliteRekeyMigration.RunAsync),
    ];
}

/// <summary>The code part of a migration.</summary>
/// <param name="context">The connection, the transaction and what the migration reports.</param>
/// <param name="cancellationToken">Cancels the migration (the transaction is rolled back).</param>
/// <returns>A task.</returns>
internal delegate Task SqliteMigrationCode(SqliteMigrationContext context, CancellationToken cancellationToken);

/// <summary>One migration: SQL, then code; either may be absent.</summary>
/// <param name="Sql">Statements run first.</param>
/// <param name="Code">Code run after them, in the same transaction.</param>
internal sealed record SqliteMigration(string? Sql, SqliteMigrationCode? Code = null);

/// <summary>What a migration's code works with.</summary>
internal sealed class SqliteMigrationContext(SqliteConnection connection, SqliteTransaction transaction, string dataSource, ILogger logger)
{
    /// <summary>The open connection.</summary>
    public SqliteConnection Connection { get; } = connection;

    /// <summary>The migration transaction (<c>BEGIN IMMEDIATE</c>: no other writer meanwhile).</summary>
    public SqliteTransaction Transaction { get; } = transaction;

    /// <summary>The database file, for log messages.</summary>
    public string DataSource { get; } = dataSource;

    /// <summary>The store's logger.</summary>
    public ILogger Logger { get; } = logger;

    /// <summary>Changes to publish on the store's feed once the migration has committed.</summary>
    public List<NornChange> Changes { get; } = [];

    /// <summary>What to do once the migration has committed (log what it did).</summary>
    public List<Action> AfterCommit { get; } = [];

    /// <summary>A command in the migration transaction.</summary>
    /// <param name="sql">Constant SQL; values go in parameters.</param>
    /// <returns>The command.</returns>
    public SqliteCommand Command(string sql)
    {
        var command = Connection.CreateCommand();
        command.Transaction = Transaction;
#pragma warning disable CA2100 // Only the library's own constant SQL.
        command.CommandText = sql;
#pragma warning restore CA2100
        return command;
    }
}
