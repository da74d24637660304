using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Mimisbrunnr.PostgreSql;

/// <summary>
/// The norn store for several host instances sharing one PostgreSQL database. Every write is one call of a
/// server-side function that checks the owner and the quotas, writes, and sends a <c>NOTIFY</c> in the same
/// transaction; every instance follows the writes of all instances through one dedicated <c>LISTEN</c> connection.
/// </summary>
/// <remarks>
/// <para>
/// Schema <c>mimisbrunnr</c>, created and migrated on first use (a <c>schema_version</c> table; the migration runs
/// under an advisory lock, so instances starting together migrate once). Table <c>norns</c>: <c>id</c> (primary key,
/// the derived id), <c>owner</c>, <c>device_id</c> (canonical), <c>device_key</c> (lower-cased, indexed: devices
/// compare ignoring case), <c>expires_at</c> (indexed), <c>document</c> (the norn as <c>jsonb</c>, what is read back),
/// <c>created_at</c>, <c>updated_at</c>, and <c>change_seq</c> (a new value of a sequence on every write).
/// </para>
/// <para>
/// Schema version 2 brings rows written by earlier versions to the current identity rules
/// (<see cref="NornIdentity.Normalize"/>): each gets the id derived from its device key and normalised URL and a document
/// with normalised URLs; where several rows get one id, the newest by <c>updated_at</c> stays and the others are deleted.
/// It runs once, in the migration transaction with the table locked against writes, notifies what it changed, and logs
/// one line counting the rows re-keyed and merged. Hosts still running an earlier version keep deriving ids the old
/// way: upgrade them all.
/// </para>
/// <para>
/// Races: all writes of one id take a transaction-scoped advisory lock on the id first, so two instances creating the
/// same device and destination pair for two owners at once are serialised: exactly one creates, the other gets
/// <see cref="NornWriteStatus.Conflict"/>. Creates also lock their owner while the owner quota is counted, and their
/// owner on the device while the device quota (the owner's norns on the device) is counted, so both quotas are exact
/// across instances while different owners' creates on one device do not wait for each other. The time of a write
/// (for conflicts and quotas) is the norn's <see cref="Norn.UpdatedAt"/>.
/// </para>
/// <para>
/// Change feed: each write or delete notifies channel <c>mimisbrunnr_norns</c> with <c>upsert:&lt;id&gt;</c> or
/// <c>delete:&lt;id&gt;</c>, delivered at commit. <see cref="WatchAsync"/> subscriptions share one listening
/// connection per store. Whenever that connection is (re)established — first start, server restart, network loss,
/// the backend terminated — every subscription receives <see cref="NornChangeKind.Resync"/> once <c>LISTEN</c> is
/// active again: anything committed before that is visible to the reload the subscriber then does, anything
/// committed after it is notified. Catching up by a watermark is not used: sequence values are taken before commit,
/// so a transaction can commit after a higher value was already seen, and a watermark would skip it.
/// </para>
/// </remarks>
public sealed class PostgreSqlNornStore : INornStore, INornChangeFeedStatus, IAsyncDisposable, IDisposable
{
    /// <summary>The schema version this code writes.</summary>
    public const int SchemaVersion = PostgreSqlSchema.Version;

    /// <summary>The NOTIFY channel every instance listens on.</summary>
    public const string NotificationChannel = PostgreSqlSchema.Channel;

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgreSqlRetry _retry;
    private readonly PostgreSqlMigrator _migrator;
    private readonly PostgreSqlChangeListener _listener;
    private int _disposed;

    /// <summary>Creates a store over a database (its schema is created or migrated on first use).</summary>
    /// <param name="connectionString">
    /// An Npgsql connection string, for example <c>Host=db;Database=mimisbrunnr;Username=mimisbrunnr;Password=...</c>.
    /// The user needs the right to create a schema in the database on first start (or an existing, current schema).
    /// </param>
    /// <param name="logger">The logger (connection passwords are never logged).</param>
    /// <exception cref="ArgumentException">The connection string cannot be parsed or names no host.</exception>
    public PostgreSqlNornStore(string connectionString, ILogger<PostgreSqlNornStore>? logger = null)
    {
        var builder = CheckConnectionString(connectionString);
        var log = (ILogger?)logger ?? NullLogger.Instance;
        Server = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username ?? "(default)"}";
        _dataSource = NpgsqlDataSource.Create(builder);
        _retry = new PostgreSqlRetry(_dataSource, log);
        _migrator = new PostgreSqlMigrator(_dataSource, _retry, Server, log);
        _listener = new PostgreSqlChangeListener(builder, Server, log);
    }

    /// <summary>Host, port and database of the store, for logs (no credentials).</summary>
    public string Server { get; }

    /// <summary>Whether the LISTEN connection that follows other hosts' writes is up now.</summary>
    public bool IsFollowing => _listener.IsListening;

    /// <summary>Why the listener is not up, when it is not.</summary>
    public string? Problem => _listener.Problem;

    /// <summary>The backend process id of the listening connection while it is up, otherwise 0 (tests kill it).</summary>
    internal int ListenerProcessId => _listener.ProcessId;

    /// <summary>Creates the schema or migrates it, if not done yet. Called on first use; idempotent.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the schema is current.</returns>
    /// <exception cref="InvalidOperationException">The database has a newer schema than this library.</exception>
    public async ValueTask InitializeAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _migrator.EnsureCurrentAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<NornWriteResult> UpsertAsync(Norn norn, NornQuotas quotas, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(norn);
        var document = JsonSerializer.Serialize(norn, NornJsonContext.Default.Norn);
        var (status, createdAtJson) = await RunAsync(
            "upsert",
            idempotent: false,
            async (connection, ct) =>
            {
                using var command = new NpgsqlCommand(
                    "SELECT status, created_at_json FROM mimisbrunnr.upsert_norn(@id, @owner, @device_id, @device_key, @expires_at, @document, @created_at, @updated_at, @max_per_owner, @max_per_device);",
                    connection);
                command.Parameters.AddWithValue("id", norn.Id);
                command.Parameters.AddWithValue("owner", norn.Owner);
                command.Parameters.AddWithValue("device_id", norn.DeviceId);
                command.Parameters.AddWithValue("device_key", DeviceKey(norn.DeviceId));
                command.Parameters.AddWithValue("expires_at", norn.ExpiresAt.ToUniversalTime());
                command.Parameters.AddWithValue("document", NpgsqlDbType.Jsonb, document);
                command.Parameters.AddWithValue("created_at", norn.CreatedAt.ToUniversalTime());
                command.Parameters.AddWithValue("updated_at", norn.UpdatedAt.ToUniversalTime());
                command.Parameters.AddWithValue("max_per_owner", quotas.MaxPerOwner);
                command.Parameters.AddWithValue("max_per_device", quotas.MaxPerDevice);
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    throw new InvalidOperationException("mimisbrunnr.upsert_norn returned no row.");
                }

                return (reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1));
            },
            cancellationToken).ConfigureAwait(false);

        switch (status)
        {
            case 0:
                return new NornWriteResult(NornWriteStatus.Created, norn);
            case 1:
                var createdAt = createdAtJson is null
                    ? norn.CreatedAt
                    : JsonSerializer.Deserialize(createdAtJson, NornJsonContext.Default.DateTimeOffset);
                return new NornWriteResult(NornWriteStatus.Updated, norn with { CreatedAt = createdAt });
            case 2:
                return new NornWriteResult(NornWriteStatus.Conflict, null);
            case 3:
                return new NornWriteResult(NornWriteStatus.OwnerQuotaExceeded, null);
            case 4:
                return new NornWriteResult(NornWriteStatus.DeviceQuotaExceeded, null);
            default:
                throw new InvalidOperationException(
                    string.Create(CultureInfo.InvariantCulture, $"mimisbrunnr.upsert_norn returned the unknown status {status}."));
        }
    }

    /// <inheritdoc />
    public async ValueTask<Norn?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return await RunAsync(
            "get",
            idempotent: true,
            async (connection, ct) =>
            {
                using var command = new NpgsqlCommand("SELECT document FROM mimisbrunnr.norns WHERE id = @id;", connection);
                command.Parameters.AddWithValue("id", id);
                return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is string document ? Deserialize(document) : null;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string id, string? owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return await RunAsync(
            "delete",
            idempotent: false,
            async (connection, ct) =>
            {
                using var command = new NpgsqlCommand("SELECT mimisbrunnr.delete_norn(@id, @owner);", connection);
                command.Parameters.AddWithValue("id", id);
                command.Parameters.AddWithValue("owner", NpgsqlDbType.Text, (object?)owner ?? DBNull.Value);
                return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<NornPage> ListAsync(NornQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        var sql = "SELECT document FROM mimisbrunnr.norns WHERE owner = @owner AND expires_at > @now"
            + (query.DeviceId is null ? string.Empty : " AND device_key = @device_key")
            + (query.After is null ? string.Empty : " AND id > @after")
            + " ORDER BY id LIMIT @limit;";
        var items = await RunAsync(
            "list",
            idempotent: true,
            async (connection, ct) =>
            {
#pragma warning disable CA2100 // Only constant SQL fragments; every value is a parameter.
                using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
                command.Parameters.AddWithValue("owner", query.Owner);
                command.Parameters.AddWithValue("now", query.Now.ToUniversalTime());
                command.Parameters.AddWithValue("limit", (long)query.Limit + 1);
                if (query.DeviceId is not null)
                {
                    command.Parameters.AddWithValue("device_key", DeviceKey(query.DeviceId));
                }

                if (query.After is not null)
                {
                    command.Parameters.AddWithValue("after", query.After);
                }

                var read = new List<Norn>(Math.Min(query.Limit + 1, 64));
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    read.Add(Deserialize(reader.GetString(0)));
                }

                return read;
            },
            cancellationToken).ConfigureAwait(false);

        var more = items.Count > query.Limit;
        if (more)
        {
            items.RemoveRange(query.Limit, items.Count - query.Limit);
        }

        return new NornPage(items, more ? items[^1].Id : null);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<Norn> LoadActiveAsync(
        DateTimeOffset now,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        NpgsqlConnection? connection = null;
        NpgsqlDataReader? reader = null;
        try
        {
            // Retried while nothing was read yet (a pooled connection may be stale after a server restart).
            for (var attempt = 1; reader is null; attempt++)
            {
                try
                {
                    connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                    var command = new NpgsqlCommand("SELECT document FROM mimisbrunnr.norns WHERE expires_at > @now;", connection);
                    await using (command.ConfigureAwait(false))
                    {
                        command.Parameters.AddWithValue("now", now.ToUniversalTime());
                        reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (PostgreSqlRetry.CanRetry(attempt, ex, cancellationToken))
                {
                    if (connection is not null)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                        connection = null;
                    }

                    await _retry.BeforeRetryAsync("load", attempt, ex, cancellationToken).ConfigureAwait(false);
                }
            }

            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var norn = Deserialize(reader.GetString(0));
                if (!norn.IsExpired(now))
                {
                    yield return norn;
                }
            }
        }
        finally
        {
            if (reader is not null)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }

            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        // Safe to repeat: a second run deletes (and reports) only what the first did not.
        return await RunAsync(
            "delete expired",
            idempotent: true,
            async (connection, ct) =>
            {
                using var command = new NpgsqlCommand("SELECT id FROM mimisbrunnr.delete_expired_norns(@now) AS id;", connection);
                command.Parameters.AddWithValue("now", now.ToUniversalTime());
                var deleted = new List<string>();
                using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    deleted.Add(reader.GetString(0));
                }

                return (IReadOnlyList<string>)deleted;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The first subscription starts the store's listening connection. A subscription that starts while that
    /// connection is not listening (yet) receives <see cref="NornChangeKind.Resync"/> as soon as it is; so a host's
    /// index is loaded twice at start (once by the synchronizer, once on that first resync), which closes the gap
    /// between its first load and the start of listening.
    /// </remarks>
    public IAsyncEnumerable<NornChange> WatchAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _listener.Subscribe(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask PingAsync(CancellationToken cancellationToken = default)
    {
        await RunAsync(
            "ping",
            idempotent: true,
            async (connection, ct) =>
            {
                using var command = new NpgsqlCommand("SELECT 1;", connection);
                return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops listening, ends the change feed subscriptions and closes the pooled connections.</summary>
    /// <returns>A task that completes when the listener has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _listener.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _migrator.Dispose();
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Completes when the listening connection is up (tests wait for it before writing).</summary>
    /// <returns>A task.</returns>
    internal Task WhenListeningAsync() => _listener.WhenListeningAsync();

    /// <summary>Parses a connection string and checks that it names a server.</summary>
    internal static NpgsqlConnectionStringBuilder CheckConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            // The message may quote the connection string (and its password): do not pass it on.
            throw new ArgumentException("The PostgreSQL connection string cannot be parsed.", nameof(connectionString));
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ArgumentException("The PostgreSQL connection string names no Host.", nameof(connectionString));
        }

        return builder;
    }

    private static string DeviceKey(string deviceId) => NornIdentity.DeviceKey(deviceId);

    private static Norn Deserialize(string document) =>
        JsonSerializer.Deserialize(document, NornJsonContext.Default.Norn)
        ?? throw new InvalidDataException("A stored norn document is null.");

    /// <summary>Runs one operation once the schema is current (see <see cref="PostgreSqlRetry.RunAsync"/>).</summary>
    private async ValueTask<T> RunAsync<T>(
        string operation,
        bool idempotent,
        Func<NpgsqlConnection, CancellationToken, Task<T>> action,
        CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        return await _retry.RunAsync(operation, idempotent, action, cancellationToken).ConfigureAwait(false);
    }
}
