using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using SQLitePCL;

namespace Mimisbrunnr.Sqlite;

/// <summary>
/// The embedded, durable norn store: one SQLite file in WAL mode, for a single host. Writes are serialised in process
/// and run in <c>BEGIN IMMEDIATE</c> transactions (owner check and quotas atomic with the write); the change feed is
/// an in-process broadcast after each commit (one file belongs to one host).
/// </summary>
/// <remarks>
/// <para>
/// Table <c>norns</c>: <c>id</c> (primary key), <c>owner</c>, <c>device_id</c> (canonical), <c>device_key</c>
/// (lower-cased, indexed: devices compare ignoring case), <c>expires_at</c> (unix ms, indexed), <c>document</c> (the
/// norn as JSON), <c>created_at</c> and <c>updated_at</c> (unix ms). A <c>schema_version</c> table drives idempotent
/// migrations at first use, in one transaction.
/// </para>
/// <para>
/// Schema version 2 brings rows written by earlier versions to the current identity rules
/// (<see cref="NornIdentity.Normalize"/>): each gets the id derived from its device key and normalised URL and a document
/// with normalised URLs; where several rows get one id, the newest by <c>updated_at</c> stays and the others are deleted.
/// One log line counts the rows re-keyed and merged.
/// </para>
/// <para>
/// Quotas count live norns of the owner (owner quota) and of the owner on the device key (device quota). The time of a
/// write (for conflicts and quotas) is the norn's <see cref="Norn.UpdatedAt"/>.
/// </para>
/// </remarks>
public sealed class SqliteNornStore : INornStore, IAsyncDisposable, IDisposable
{
    /// <summary>The schema version this code writes.</summary>
    public const int SchemaVersion = SqliteSchema.Version;

    private const int BusyTimeoutMilliseconds = 5000;

    /// <summary>Rows the index load steps per batch between yields.</summary>
    private const int LoadBatchSize = 1024;

    private readonly string _connectionString;
    private readonly string _connectionPragmas;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private readonly NornChangeBroadcaster _changes = new();
    private volatile bool _initialized;
    private volatile bool _disposed;

    /// <summary>Creates a store over a database file (created, with its schema, on first use).</summary>
    /// <param name="connectionString">
    /// A Microsoft.Data.Sqlite connection string naming a file, for example <c>Data Source=/var/lib/mimisbrunnr/norns.db</c>.
    /// </param>
    /// <param name="logger">The logger.</param>
    /// <param name="synchronous">How hard each commit waits for the disk (default <see cref="SqliteSynchronous.Full"/>).</param>
    /// <exception cref="ArgumentException">The connection string names no file (in-memory databases are not durable).</exception>
    public SqliteNornStore(string connectionString, ILogger<SqliteNornStore>? logger = null, SqliteSynchronous synchronous = SqliteSynchronous.Full)
    {
        var builder = CheckConnectionString(connectionString);
        _connectionString = builder.ToString();
        DataSource = builder.DataSource;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Synchronous = synchronous;
        _connectionPragmas = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA synchronous = {(synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL")};";
    }

    /// <summary>How hard each commit waits for the disk.</summary>
    public SqliteSynchronous Synchronous { get; }

    /// <summary>The database file.</summary>
    public string DataSource { get; }

    /// <summary>Creates the file and migrates its schema, if not done yet. Called on first use; idempotent.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the schema is current.</returns>
    public async ValueTask InitializeAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_initialized)
        {
            return;
        }

        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            var directory = Path.GetDirectoryName(Path.GetFullPath(DataSource));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            CreateOwnerOnly(DataSource);

            using var connection = await OpenRawAsync(cancellationToken).ConfigureAwait(false);
            using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode = WAL;";
                var mode = (string?)await wal.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    SqliteLog.NotWal(_logger, DataSource, mode ?? "(none)");
                }
            }

            using var transaction = connection.BeginTransaction(deferred: false);
            await ExecuteAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);", cancellationToken)
                .ConfigureAwait(false);
            int version;
            using (var read = Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version;"))
            {
                version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            }

            if (version > SchemaVersion)
            {
                throw new InvalidOperationException(
                    $"The norn database {DataSource} has schema version {version}, newer than this library's {SchemaVersion}.");
            }

            var context = new SqliteMigrationContext(connection, transaction, DataSource, _logger);
            for (var next = version; next < SchemaVersion; next++)
            {
                var migration = SqliteSchema.Migrations[next];
                if (migration.Sql is not null)
                {
                    await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
                }

                if (migration.Code is not null)
                {
                    await migration.Code(context, cancellationToken).ConfigureAwait(false);
                }
            }

            if (version < SchemaVersion)
            {
                await ExecuteAsync(connection, transaction, "DELETE FROM schema_version;", cancellationToken).ConfigureAwait(false);
                using var write = Command(connection, transaction, "INSERT INTO schema_version (version) VALUES ($v);");
                write.Parameters.AddWithValue("$v", SchemaVersion);
                await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            if (version < SchemaVersion)
            {
                SqliteLog.Migrated(_logger, DataSource, version, SchemaVersion);
            }

            foreach (var action in context.AfterCommit)
            {
                action();
            }

            foreach (var change in context.Changes)
            {
                _changes.Publish(change);
            }

            _initialized = true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<NornWriteResult> UpsertAsync(Norn norn, NornQuotas quotas, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(norn);
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = norn.UpdatedAt;
            var nowMs = now.ToUnixTimeMilliseconds();
            using var transaction = connection.BeginTransaction(deferred: false);
            Norn? existing = null;
            using (var read = Command(connection, transaction, "SELECT document FROM norns WHERE id = $id;"))
            {
                read.Parameters.AddWithValue("$id", norn.Id);
                if (await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string document)
                {
                    existing = Deserialize(document);
                }
            }

            NornWriteStatus status;
            Norn stored;
            if (existing is not null && !existing.IsExpired(now))
            {
                if (!string.Equals(existing.Owner, norn.Owner, StringComparison.Ordinal))
                {
                    return new NornWriteResult(NornWriteStatus.Conflict, null);
                }

                status = NornWriteStatus.Updated;
                stored = norn with { CreatedAt = existing.CreatedAt };
            }
            else
            {
                if (quotas.MaxPerOwner < int.MaxValue
                    && await CountAsync(connection, transaction, "owner = $owner", norn, nowMs, cancellationToken).ConfigureAwait(false)
                    >= quotas.MaxPerOwner)
                {
                    return new NornWriteResult(NornWriteStatus.OwnerQuotaExceeded, null);
                }

                // The device quota is the owner's on the device: other owners' norns there do not count.
                if (quotas.MaxPerDevice < int.MaxValue
                    && await CountAsync(connection, transaction, "owner = $owner AND device_key = $device_key", norn, nowMs, cancellationToken)
                    .ConfigureAwait(false) >= quotas.MaxPerDevice)
                {
                    return new NornWriteResult(NornWriteStatus.DeviceQuotaExceeded, null);
                }

                status = NornWriteStatus.Created;
                stored = norn;
            }

            using (var write = Command(
                connection,
                transaction,
                """
                INSERT OR REPLACE INTO norns (id, owner, device_id, device_key, expires_at, document, created_at, updated_at)
                VALUES ($id, $owner, $device_id, $device_key, $expires_at, $document, $created_at, $updated_at);
                """))
            {
                write.Parameters.AddWithValue("$id", stored.Id);
                write.Parameters.AddWithValue("$owner", stored.Owner);
                write.Parameters.AddWithValue("$device_id", stored.DeviceId);
                write.Parameters.AddWithValue("$device_key", DeviceKey(stored.DeviceId));
                write.Parameters.AddWithValue("$expires_at", stored.ExpiresAt.ToUnixTimeMilliseconds());
                write.Parameters.AddWithValue("$document", JsonSerializer.Serialize(stored, NornJsonContext.Default.Norn));
                write.Parameters.AddWithValue("$created_at", stored.CreatedAt.ToUnixTimeMilliseconds());
                write.Parameters.AddWithValue("$updated_at", stored.UpdatedAt.ToUnixTimeMilliseconds());
                await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _changes.Publish(new NornChange(NornChangeKind.Upserted, stored.Id, stored));
            return new NornWriteResult(status, stored);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<Norn?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = Command(connection, null, "SELECT document FROM norns WHERE id = $id;");
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string document
            ? Deserialize(document)
            : null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string id, string? owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Command(
                connection,
                null,
                owner is null ? "DELETE FROM norns WHERE id = $id;" : "DELETE FROM norns WHERE id = $id AND owner = $owner;");
            command.Parameters.AddWithValue("$id", id);
            if (owner is not null)
            {
                command.Parameters.AddWithValue("$owner", owner);
            }

            var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
            if (deleted)
            {
                _changes.Publish(new NornChange(NornChangeKind.Deleted, id, null));
            }

            return deleted;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<NornPage> ListAsync(NornQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var sql = "SELECT document FROM norns WHERE owner = $owner AND expires_at > $now"
            + (query.DeviceId is null ? string.Empty : " AND device_key = $device_key")
            + (query.After is null ? string.Empty : " AND id > $after")
            + " ORDER BY id LIMIT $limit;";
        using var command = Command(connection, null, sql);
        command.Parameters.AddWithValue("$owner", query.Owner);
        command.Parameters.AddWithValue("$now", query.Now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$limit", (long)query.Limit + 1);
        if (query.DeviceId is not null)
        {
            command.Parameters.AddWithValue("$device_key", DeviceKey(query.DeviceId));
        }

        if (query.After is not null)
        {
            command.Parameters.AddWithValue("$after", query.After);
        }

        var items = new List<Norn>(Math.Min(query.Limit, 64));
        var more = false;
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (items.Count == query.Limit)
            {
                more = true;
                break;
            }

            items.Add(Deserialize(reader.GetString(0)));
        }

        return new NornPage(items, more ? items[^1].Id : null);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<Norn> LoadActiveAsync(
        DateTimeOffset now,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The index load of a large file: rows are stepped in batches straight through SQLite's statement, and each
        // document is deserialised from the UTF-8 bytes SQLite holds for the row (no string or byte[] per row).
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, "SELECT document FROM norns WHERE expires_at > ?1;", out var statement);
        SqliteException.ThrowExceptionForRC(rc, db);
        using (statement)
        {
            SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_int64(statement, 1, now.ToUnixTimeMilliseconds()), db);
            var batch = new List<Norn>(LoadBatchSize);
            bool more;
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                more = ReadBatch(db, statement, now, batch);
                foreach (var norn in batch)
                {
                    yield return norn;
                }

                batch.Clear();
            }
            while (more);
        }
    }

    /// <summary>Steps up to <see cref="LoadBatchSize"/> rows of the load into <paramref name="batch"/>; false once done.</summary>
    private static bool ReadBatch(sqlite3 db, sqlite3_stmt statement, DateTimeOffset now, List<Norn> batch)
    {
        while (batch.Count < LoadBatchSize)
        {
            var rc = raw.sqlite3_step(statement);
            if (rc == raw.SQLITE_DONE)
            {
                return false;
            }

            if (rc != raw.SQLITE_ROW)
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }

            var norn = Deserialize(raw.sqlite3_column_blob(statement, 0));
            if (!norn.IsExpired(now))
            {
                batch.Add(norn);
            }
        }

        return true;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var deleted = new List<string>();
            using var transaction = connection.BeginTransaction(deferred: false);
            using (var command = Command(connection, transaction, "DELETE FROM norns WHERE expires_at <= $now RETURNING id;"))
            {
                command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    deleted.Add(reader.GetString(0));
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var id in deleted)
            {
                _changes.Publish(new NornChange(NornChangeKind.Deleted, id, null));
            }

            return deleted;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<NornChange> WatchAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _changes.Subscribe(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask PingAsync(CancellationToken cancellationToken = default)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = Command(connection, null, "SELECT 1;");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the change feed subscriptions and closes the pooled connections to the file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _changes.Dispose();
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _writeLock.Dispose();
        _initLock.Dispose();
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Parses a connection string and checks that it names a writable file.</summary>
    internal static SqliteConnectionStringBuilder CheckConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrWhiteSpace(builder.DataSource)
            || builder.DataSource.Equals(":memory:", StringComparison.OrdinalIgnoreCase)
            || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new ArgumentException("The SQLite norn store needs a database file (Data Source=<path>).", nameof(connectionString));
        }

        if (builder.Mode == SqliteOpenMode.ReadOnly)
        {
            throw new ArgumentException("The SQLite norn store needs a writable database.", nameof(connectionString));
        }

        builder.Pooling = true;
        return builder;
    }

    /// <summary>A pragma as a connection of this store sees it (tests).</summary>
    internal async Task<long> ReadPragmaAsync(string name, CancellationToken cancellationToken)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = Command(connection, null, "PRAGMA " + name + ";");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string DeviceKey(string deviceId) => NornIdentity.DeviceKey(deviceId);

    /// <summary>
    /// Creates a new database file readable and writable by this user only (the norns' owners, URLs and, without
    /// secret keys, secrets are in it); SQLite gives its WAL and shared-memory files the same permissions. An existing
    /// file keeps the permissions its operator gave it.
    /// </summary>
    private static void CreateOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows() || File.Exists(path))
        {
            return;
        }

        try
        {
            using var created = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (File.Exists(path))
        {
            // Created meanwhile by another process opening the same file.
        }
    }

    private static Norn Deserialize(ReadOnlySpan<byte> document) =>
        JsonSerializer.Deserialize(document, NornJsonContext.Default.Norn)
        ?? throw new InvalidDataException("A stored norn document is null.");

    private static Norn Deserialize(string document) =>
        JsonSerializer.Deserialize(document, NornJsonContext.Default.Norn)
        ?? throw new InvalidDataException("A stored norn document is null.");

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // Only constant SQL fragments; every value is a parameter.
        command.CommandText = sql;
#pragma warning restore CA2100
        return command;
    }

    private static async Task ExecuteAsync(
        SqliteConnection connection,
        SqliteTransaction? transaction,
        string sql,
        CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<long> CountAsync(
        SqliteConnection connection,
        SqliteTransaction transaction,
        string condition,
        Norn norn,
        long nowMs,
        CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction, $"SELECT COUNT(*) FROM norns WHERE {condition} AND expires_at > $now;");
        command.Parameters.AddWithValue("$owner", norn.Owner);
        command.Parameters.AddWithValue("$device_key", DeviceKey(norn.DeviceId));
        command.Parameters.AddWithValue("$now", nowMs);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private async ValueTask<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        return await OpenRawAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<SqliteConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // Per connection: wait for other processes' locks instead of failing, and commit as durably as asked.
            await ExecuteAsync(connection, null, _connectionPragmas, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
