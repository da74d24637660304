using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mimisbrunnr.PostgreSql;

/// <summary>
/// Brings the database to <see cref="PostgreSqlSchema.Version"/> once per store, before its first operation. The
/// migration runs in one transaction under an advisory lock, so instances starting together migrate once (the others
/// wait, then find the schema current); a newer schema is refused rather than written to by older code. A failed
/// attempt rolls back entirely, so retrying it is safe.
/// </summary>
internal sealed class PostgreSqlMigrator : IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgreSqlRetry _retry;
    private readonly string _server;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile bool _current;

    /// <summary>Migrates through <paramref name="dataSource"/>; <paramref name="server"/> names it in messages.</summary>
    public PostgreSqlMigrator(NpgsqlDataSource dataSource, PostgreSqlRetry retry, string server, ILogger logger)
    {
        _dataSource = dataSource;
        _retry = retry;
        _server = server;
        _logger = logger;
    }

    /// <summary>Creates or migrates the schema unless this store already did.</summary>
    /// <exception cref="InvalidOperationException">The database has a newer schema than this library.</exception>
    public async ValueTask EnsureCurrentAsync(CancellationToken cancellationToken)
    {
        if (_current)
        {
            return;
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current)
            {
                return;
            }

            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await MigrateAsync(cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (Exception ex) when (PostgreSqlRetry.CanRetry(attempt, ex, cancellationToken))
                {
                    await _retry.BeforeRetryAsync("migrate", attempt, ex, cancellationToken).ConfigureAwait(false);
                }
            }

            _current = true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();

    private async ValueTask MigrateAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await ExecuteAsync(connection, transaction, PostgreSqlSchema.Prepare, cancellationToken).ConfigureAwait(false);
                int version;
                using (var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM mimisbrunnr.schema_version;", connection, transaction))
                {
                    version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                }

                if (version > PostgreSqlSchema.Version)
                {
                    throw new InvalidOperationException(
                        $"The norn database {_server} has schema version {version}, newer than this library's {PostgreSqlSchema.Version}.");
                }

                var context = new PostgreSqlMigrationContext(connection, transaction, _server, _logger);
                for (var next = version; next < PostgreSqlSchema.Version; next++)
                {
                    var migration = PostgreSqlSchema.Migrations[next];
                    if (migration.Sql is not null)
                    {
                        await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
                    }

                    if (migration.Code is not null)
                    {
                        await migration.Code(context, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (version < PostgreSqlSchema.Version)
                {
                    await ExecuteAsync(connection, transaction, "DELETE FROM mimisbrunnr.schema_version;", cancellationToken).ConfigureAwait(false);
                    using var write = new NpgsqlCommand("INSERT INTO mimisbrunnr.schema_version (version) VALUES (@v);", connection, transaction);
                    write.Parameters.AddWithValue("v", PostgreSqlSchema.Version);
                    await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                if (version < PostgreSqlSchema.Version)
                {
                    PostgreSqlLog.Migrated(_logger, _server, version, PostgreSqlSchema.Version);
                }

                foreach (var action in context.AfterCommit)
                {
                    action();
                }
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
#pragma warning disable CA2100 // Only the library's own constant SQL.
        using var command = new NpgsqlCommand(sql, connection, transaction);
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>What a migration's code works with.</summary>
internal sealed class PostgreSqlMigrationContext(NpgsqlConnection connection, NpgsqlTransaction transaction, string server, ILogger logger)
{
    /// <summary>The open connection.</summary>
    public NpgsqlConnection Connection { get; } = connection;

    /// <summary>The migration transaction (under the migration lock).</summary>
    public NpgsqlTransaction Transaction { get; } = transaction;

    /// <summary>Host, port and database, for log messages.</summary>
    public string Server { get; } = server;

    /// <summary>The store's logger.</summary>
    public ILogger Logger { get; } = logger;

    /// <summary>What to do once the migration has committed (log what it did).</summary>
    public List<Action> AfterCommit { get; } = [];

    /// <summary>A command in the migration transaction.</summary>
    /// <param name="sql">Constant SQL; values go in parameters.</param>
    /// <returns>The command.</returns>
    public NpgsqlCommand Command(string sql)
    {
#pragma warning disable CA2100 // Only the library's own constant SQL.
        return new NpgsqlCommand(sql, Connection, Transaction);
#pragma warning restore CA2100
    }
}
