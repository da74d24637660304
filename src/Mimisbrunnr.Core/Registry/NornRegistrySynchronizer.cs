using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Registry;

/// <summary>
/// Keeps <see cref="NornRegistry"/> in step with the store: subscribes to the change feed, loads every live norn,
/// then applies the changes as they come (<see cref="NornChangeKind.Resync"/>, a broken feed, or a failed load
/// reload everything and swap the index atomically).
/// </summary>
/// <remarks>
/// Host start waits for the first load attempt, so a host does not take events before its index is filled; if the
/// store is unavailable the host still starts and the load is retried in the background.
/// </remarks>
internal sealed partial class NornRegistrySynchronizer : BackgroundService
{
    private static readonly TimeSpan MinRetryDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly INornStore _store;
    private readonly NornRegistry _registry;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NornRegistrySynchronizer(
        INornStore store,
        NornRegistry registry,
        TimeProvider timeProvider,
        ILogger<NornRegistrySynchronizer>? logger = null,
        NornIndexState? state = null)
    {
        _store = store;
        _registry = registry;
        _timeProvider = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        State = state ?? new NornIndexState();
    }

    /// <summary>Whether the index is loaded and following the store.</summary>
    public NornIndexState State { get; }

    /// <summary>Completes once the index has been loaded from the store for the first time.</summary>
    public Task Loaded => State.Loaded;

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
        await _firstAttempt.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = MinRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FollowAsync(stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Any store failure: log, back off, subscribe and reload again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.SyncFailed(_logger, delay, ex);
                State.SetProblem((State.IsLoaded ? "The norn index is not following the store: " : "The norn index cannot be loaded: ")
                    + ex.Message);
                _firstAttempt.TrySetResult();
            }

            try
            {
                await Task.Delay(delay, _timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    /// <summary>Subscribes, loads everything, then applies changes until the feed ends or fails.</summary>
    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var changes = _store.WatchAsync(linked.Token).GetAsyncEnumerator(linked.Token);
        var next = default(ValueTask<bool>);
        var pending = false;
        try
        {
            // Start reading first: stores register the subscription before their first await, so no write made
            // during the load is missed (it is applied again afterwards, which is idempotent).
            next = changes.MoveNextAsync();
            pending = true;
            await ReloadAsync(cancellationToken).ConfigureAwait(false);
            State.SetLoaded();
            _firstAttempt.TrySetResult();
            while (true)
            {
                pending = false;
                if (!await next.ConfigureAwait(false))
                {
                    break;
                }

                await ApplyAsync(changes.Current, cancellationToken).ConfigureAwait(false);
                next = changes.MoveNextAsync();
                pending = true;
            }

            // The feed ended (the store was disposed, or it closed the subscription): resubscribe unless stopping.
            cancellationToken.ThrowIfCancellationRequested();
            throw new InvalidOperationException("The store's change feed ended.");
        }
        finally
        {
            await linked.CancelAsync().ConfigureAwait(false);
#pragma warning disable CA1031 // Ending the subscription: its cancellation (or any late failure) is of no interest now.
            if (pending)
            {
                // An async enumerator cannot be disposed while a MoveNextAsync is in flight.
                try
                {
                    await next.ConfigureAwait(false);
                }
                catch (Exception)
                {
                }
            }

            try
            {
                await changes.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
            }
#pragma warning restore CA1031
        }
    }

    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        // Streamed: each norn goes into the new index as the store yields it (no list of a million norns first).
        var loader = _registry.BeginReset();
        var count = 0;
        await foreach (var norn in _store.LoadActiveAsync(_timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            loader.Add(norn);
            count++;
        }

        _registry.Commit(loader);
        Log.Loaded(_logger, count);
    }

    private async Task ApplyAsync(NornChange change, CancellationToken cancellationToken)
    {
        switch (change.Kind)
        {
            case NornChangeKind.Upserted when change.Id is not null:
                // A change without its norn (a store shared by several hosts) is read now: that read is the store's
                // current version, newer than anything in the index even when its writer's clock is behind ours.
                var readNow = change.Norn is null;
                var norn = change.Norn ?? await _store.GetAsync(change.Id, cancellationToken).ConfigureAwait(false);
                if (norn is null)
                {
                    // Gone again before we could read it; its delete follows, or already happened.
                    _registry.Remove(change.Id);
                }
                else if (norn.IsExpired(_timeProvider.GetUtcNow()))
                {
                    _registry.Remove(norn.Id);
                }
                else
                {
                    _registry.Apply(norn, latest: readNow);
                }

                break;
            case NornChangeKind.Deleted when change.Id is not null:
                _registry.Remove(change.Id);
                break;
            case NornChangeKind.Resync:
                await ReloadAsync(cancellationToken).ConfigureAwait(false);
                break;
            default:
                Log.UnknownChange(_logger, change.Kind);
                break;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.IndexLoaded, LogLevel.Information, "Norn index loaded: {Count} live norns.")]
        public static partial void Loaded(ILogger logger, int count);

        [LoggerMessage(EventIds.SyncFailed, LogLevel.Error, "Following the norn store failed; subscribing and reloading again in {Delay}.")]
        public static partial void SyncFailed(ILogger logger, TimeSpan delay, Exception exception);

        [LoggerMessage(EventIds.UnknownChange, LogLevel.Warning, "Ignored a malformed norn change of kind {Kind}.")]
        public static partial void UnknownChange(ILogger logger, NornChangeKind kind);
    }
}
