using Microsoft.Extensions.Logging;
using Mimisbrunnr.Storage;
using Npgsql;

namespace Mimisbrunnr.PostgreSql;

/// <summary>
/// The change feed of one store: a single connection that <c>LISTEN</c>s for the writes of every host instance, shared
/// by all of the store's subscriptions. Started on first use and kept up (reconnecting) until disposed.
/// </summary>
/// <remarks>
/// Notifications sent while the connection is down are lost, so every time <c>LISTEN</c> becomes active (first start
/// and each reconnect) all subscribers get <see cref="NornChangeKind.Resync"/> and reload: what committed before is
/// visible to that reload, what commits after is notified.
/// </remarks>
internal sealed class PostgreSqlChangeListener : IAsyncDisposable
{
    private const string Listen = "LISTEN " + PostgreSqlSchema.Channel + ";";
    private static readonly TimeSpan MinReconnectDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan IdlePing = TimeSpan.FromSeconds(15);

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _server;
    private readonly ILogger _logger;
    private readonly NornChangeBroadcaster _changes = new();
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _problem = "The change listener has not connected yet.";
    private Task? _loop;
    private volatile int _processId;
    private int _disposed;

    /// <summary>Listens on the database of <paramref name="builder"/>; <paramref name="server"/> names it in logs.</summary>
    public PostgreSqlChangeListener(NpgsqlConnectionStringBuilder builder, string server, ILogger logger)
    {
        // A connection of its own, outside the pool: LISTEN is per connection, and a pooled connection would be reset
        // on return.
        var listener = new NpgsqlConnectionStringBuilder(builder.ConnectionString)
        {
            Pooling = false,
            ApplicationName = (string.IsNullOrEmpty(builder.ApplicationName) ? "mimisbrunnr" : builder.ApplicationName) + " listener",
        };
        _dataSource = NpgsqlDataSource.Create(listener);
        _server = server;
        _logger = logger;
    }

    /// <summary>The backend process id of the listening connection while it is up, otherwise 0 (tests kill it).</summary>
    public int ProcessId => _processId;

    /// <summary>Subscribes (registered before this returns) and starts listening if not yet.</summary>
    /// <param name="cancellationToken">Ends the subscription.</param>
    /// <returns>The changes, with a <see cref="NornChangeKind.Resync"/> each time listening (re)starts.</returns>
    public IAsyncEnumerable<NornChange> Subscribe(CancellationToken cancellationToken)
    {
        var subscription = _changes.Subscribe(cancellationToken);
        EnsureStarted();
        return subscription;
    }

    /// <summary>Completes when the connection is listening (tests wait for it before writing).</summary>
    /// <returns>A task.</returns>
    /// <summary>Whether the LISTEN connection is up now.</summary>
    public bool IsListening => _listening.Task.IsCompleted;

    /// <summary>Why it is not, when it is not.</summary>
    public string? Problem => IsListening ? null : _problem;

    public Task WhenListeningAsync()
    {
        EnsureStarted();
        lock (_gate)
        {
            return _listening.Task;
        }
    }

    /// <summary>Stops listening and ends every subscription.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        Task? loop;
        lock (_gate)
        {
            loop = _loop;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _changes.Dispose();
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _disposing.Dispose();
    }

    private void EnsureStarted()
    {
        lock (_gate)
        {
            if (_loop is null && Volatile.Read(ref _disposed) == 0)
            {
                _loop = Task.Run(() => ListenAsync(_disposing.Token));
            }
        }
    }

    /// <summary>
    /// Keeps one connection listening: connect, <c>LISTEN</c>, tell every subscriber to resync, then forward the
    /// notifications; on any failure reconnect with backoff (100 ms doubling to 2 s).
    /// </summary>
    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        var delay = MinReconnectDelay;
        var connected = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            var connection = _dataSource.CreateConnection();
            connection.Notification += OnNotification;
            try
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                using (var listen = new NpgsqlCommand(Listen, connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                _processId = connection.ProcessID;
                if (connected)
                {
                    PostgreSqlLog.ListenerReconnected(_logger, _server);
                }
                else
                {
                    PostgreSqlLog.ListenerConnected(_logger, _server);
                }

                connected = true;
                delay = MinReconnectDelay;

                // From here on every commit is notified to us; whatever committed before, a reload sees.
                _changes.Publish(new NornChange(NornChangeKind.Resync, null, null));
                lock (_gate)
                {
                    _listening.TrySetResult();
                }

                while (true)
                {
                    if (!await connection.WaitAsync(IdlePing, cancellationToken).ConfigureAwait(false))
                    {
                        // Quiet for a while: make sure the connection is still there.
                        using var ping = new NpgsqlCommand("SELECT 1;", connection) { CommandTimeout = 10 };
                        await ping.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Any failure of the listening connection: reconnect and resync.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _problem = $"The change listener on {_server} lost its connection: {ex.Message}";
                PostgreSqlLog.ListenerLost(_logger, _server, delay, ex);
            }
            finally
            {
                _processId = 0;
                lock (_gate)
                {
                    if (_listening.Task.IsCompleted)
                    {
                        _listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }

                connection.Notification -= OnNotification;
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (!string.Equals(e.Channel, PostgreSqlSchema.Channel, StringComparison.Ordinal))
        {
            return;
        }

        var payload = e.Payload;
        if (payload.StartsWith(PostgreSqlSchema.UpsertPrefix, StringComparison.Ordinal))
        {
            _changes.Publish(new NornChange(NornChangeKind.Upserted, payload[PostgreSqlSchema.UpsertPrefix.Length..], null));
        }
        else if (payload.StartsWith(PostgreSqlSchema.DeletePrefix, StringComparison.Ordinal))
        {
            _changes.Publish(new NornChange(NornChangeKind.Deleted, payload[PostgreSqlSchema.DeletePrefix.Length..], null));
        }
        else
        {
            // Unknown (a newer library version?): a reload is always right.
            PostgreSqlLog.UnknownNotification(_logger, payload);
            _changes.Publish(new NornChange(NornChangeKind.Resync, null, null));
        }
    }
}
