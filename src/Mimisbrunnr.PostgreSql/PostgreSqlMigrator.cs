using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mimisbrunnr.PostgreSql;

/// <summary>
/// Brings the database to <see cref="PostgreSqlSchema.Version"/> once per store, before its first operation. The
/// migration runs in one transaction under an advisory lock, so instances starting together migrate once; a newer
/// schema is refused rather than written to by older code.
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

                for (var next = version; next < PostgreSqlSchema.Version; next++)
                {
                    await ExecuteAsync(connection, transaction, PostgreSqlSchema.Migrations[next], cancellationToken).ConfigureAwait(false);
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
