using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;

namespace Mimisbrunnr.Dispatch;

/// <summary>
/// The per-norn dispatchers of this host: one bounded buffer and <see cref="DeliveryOptions.Workers"/> senders per
/// <em>active</em> norn, created on the norn's first event and retired after <see cref="DeliveryOptions.IdleTimeout"/>
/// without events, so that quiet norns cost nothing here.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="TryEnqueue"/> never blocks. A full buffer starts the norn's cut-off, as Caduceus does: the buffer is
/// emptied, every event is dropped for <see cref="DeliveryOptions.CutOffPeriod"/>, and the owner is told once through
/// <see cref="INornCutOffNotifier"/>. Every dropped event is counted with its reason (<see cref="DropReasons"/>). The
/// cut-off applies to events offered after it began: one offered concurrently with the overflow, by a thread that
/// checked just before, may still be buffered and delivered (the hot path takes no lock).
/// </para>
/// <para>
/// Each send reads the current version of the norn from the registry, so updates (secret, failure URL, expiry) apply
/// to the next send; a removed norn stops its dispatcher and its buffered events are dropped as
/// <see cref="DropReasons.Deleted"/>. On shutdown (<see cref="StopAsync"/>) the pool accepts nothing more, delivers what
/// is buffered until <see cref="DeliveryOptions.DrainTimeout"/>, and counts the rest as <see cref="DropReasons.Shutdown"/>.
/// </para>
/// <para>
/// Ordering: with one worker a norn's events are sent in the order they were enqueued. A dispatcher retired while an
/// event races in is replaced by a new one, so two events straddling a retirement (after a whole idle period) may
/// overlap; ordering is also per host instance (DESIGN.md, "Scale-out").
/// </para>
/// </remarks>
internal sealed class NornDispatcherPool : INornEventSink, IDispatcherListener, IHostedService, IAsyncDisposable, IDisposable
{
    private const int StateRunning = 0;
    private const int StateStopping = 1;

    private readonly ConcurrentDictionary<string, NornDispatcher> _dispatchers = new(StringComparer.Ordinal);

    // Every dispatcher whose workers run, including one being retired while its successor already took its slot above.
    private readonly ConcurrentDictionary<NornDispatcher, byte> _running = new();
    private readonly Dictionary<string, INornDestinationSender> _senders = new(StringComparer.OrdinalIgnoreCase);
    private readonly INornCutOffNotifier _cutOffNotifier;
    private readonly INornRemoval _removal;
    private readonly IOptionsMonitor<MimisbrunnrOptions> _options;
    private readonly DispatcherContext _context;
    private readonly DeliveryBudgets _budgets;
    private readonly CancellationTokenSource _abort = new();
    private readonly ITimer _idleTimer;
    private readonly Lock _stopLock = new();
    private int _state;
    private int _activeCount;
    private Task? _stopTask;

    public NornDispatcherPool(
        INornRegistry registry,
        IEnumerable<INornDestinationSender> senders,
        INornCutOffNotifier cutOffNotifier,
        INornRemoval removal,
        IOptionsMonitor<MimisbrunnrOptions> options,
        MimisbrunnrMetrics metrics,
        TimeProvider timeProvider,
        ILogger<NornDispatcherPool> logger)
    {
        Registry = registry;
        Metrics = metrics;
        Time = timeProvider;
        Logger = logger;
        _cutOffNotifier = cutOffNotifier;
        _removal = removal;
        _options = options;
        _budgets = new DeliveryBudgets(options.CurrentValue.Delivery);
        _context = new DispatcherContext(timeProvider, metrics, logger, registry.Find, this, _abort.Token);
        foreach (var sender in senders)
        {
            if (!_senders.TryAdd(sender.Kind, sender))
            {
                throw new InvalidOperationException(
                    $"Two destination senders serve the kind '{sender.Kind}': {_senders[sender.Kind].GetType()} and {sender.GetType()}.");
            }
        }

        metrics.Meter.CreateObservableGauge(
            "mimisbrunnr.dispatchers.active",
            () => Volatile.Read(ref _activeCount),
            "{norn}",
            "Norns with a live buffer and workers on this host (created on a norn's first event, retired when idle).");

        DeliveryGauges.Create(metrics, registry, this, timeProvider);
        registry.Changed += OnRegistryChanged;
        var idle = options.CurrentValue.Delivery.IdleTimeout;
        var period = idle / 2 > TimeSpan.FromMilliseconds(1) ? idle / 2 : TimeSpan.FromMilliseconds(1);
        _idleTimer = timeProvider.CreateTimer(static state => ((NornDispatcherPool)state!).RetireIdle(), this, period, period);
    }

    /// <summary>The host's caps on buffered bytes and sends.</summary>
    public DeliveryBudgets Budgets => _budgets;

    /// <summary>The number of norns with a live dispatcher (buffer and workers) on this host.</summary>
    public int ActiveNornCount => Volatile.Read(ref _activeCount);

    private INornRegistry Registry { get; }

    private MimisbrunnrMetrics Metrics { get; }

    private TimeProvider Time { get; }

    private ILogger Logger { get; }

    /// <inheritdoc />
    /// <remarks>The router has checked the norn's expiry; an event buffered for a norn that expires before it is sent is
    /// dropped by the worker that takes it out.</remarks>
    public EnqueueOutcome TryEnqueue(RegisteredNorn norn, RoutedEvent routedEvent)
    {
        var now = Time.GetUtcNow();
        if (Volatile.Read(ref _state) != StateRunning)
        {
            Metrics.Dropped(DropReasons.Shutdown);
            return EnqueueOutcome.Stopped;
        }

        var item = new QueuedEvent(routedEvent, Activity.Current?.Context ?? default, QueuedEvent.SizeOf(routedEvent));
        while (true)
        {
            var dispatcher = GetOrStartDispatcher(norn, now.UtcTicks);
            if (dispatcher.TryEnqueue(item, norn, now.UtcTicks) is { } outcome)
            {
                return outcome;
            }

            // Closed under us: shutting down, or retired when idle / stopped (then free its slot for a new one).
            if (Volatile.Read(ref _state) != StateRunning)
            {
                Metrics.Dropped(DropReasons.Shutdown);
                return EnqueueOutcome.Stopped;
            }

            _dispatchers.TryRemove(new KeyValuePair<string, NornDispatcher>(norn.Id, dispatcher));
        }
    }

    /// <inheritdoc />
    /// <remarks>Counted only while the norn has a dispatcher: an idle norn keeps no counts (O(1), no allocation).</remarks>
    public void Filtered(RegisteredNorn norn)
    {
        if (_dispatchers.TryGetValue(norn.Id, out var dispatcher))
        {
            dispatcher.Status.Filtered();
        }
    }

    /// <summary>The live dispatcher of a norn, or <see langword="null"/> when the norn is idle on this host.</summary>
    public NornDispatcher? Find(string nornId) => _dispatchers.TryGetValue(nornId, out var dispatcher) ? dispatcher : null;

    /// <summary>The live dispatchers (a moving view: dispatchers come and go while it is enumerated).</summary>
    /// <remarks>Enumerates without locking (unlike <c>Values</c>, which would stall routing while it copies).</remarks>
    public IEnumerable<NornDispatcher> Dispatchers
    {
        get
        {
            foreach (var pair in _dispatchers)
            {
                yield return pair.Value;
            }
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Stops accepting events (<see cref="EnqueueOutcome.Stopped"/>), delivers what is buffered until
    /// <see cref="DeliveryOptions.DrainTimeout"/> or until <paramref name="cancellationToken"/> fires, then cancels the
    /// remaining sends and counts what was not delivered as <see cref="DropReasons.Shutdown"/>.
    /// </summary>
    /// <param name="cancellationToken">The host's shutdown deadline.</param>
    /// <returns>A task that completes when every dispatcher has exited.</returns>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopLock)
        {
            _stopTask ??= StopCoreAsync(cancellationToken);
        }

        return _stopTask;
    }

    /// <summary>Stops the pool (as <see cref="StopAsync"/>, with only the drain deadline) and releases its timer.</summary>
    /// <returns>A task that completes when the pool has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        Abort(); // also ends cut-off notices still in flight
        await _idleTimer.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Stops at once, without draining: in-flight sends are cancelled and buffered events are counted as
    /// <see cref="DropReasons.Shutdown"/> as the workers exit. Prefer <see cref="StopAsync"/> or <see cref="DisposeAsync"/>,
    /// which deliver what is buffered first; this exists for containers disposed synchronously.
    /// </summary>
    public void Dispose()
    {
        Volatile.Write(ref _state, StateStopping);
        Registry.Changed -= OnRegistryChanged;
        _idleTimer.Dispose();
        foreach (var pair in _running)
        {
            pair.Key.CloseForShutdown();
        }

        Abort();
    }

    void IDispatcherListener.OnCutOff(NornDispatcher dispatcher, RegisteredNorn norn, CutOffNotice notice, long dropped)
    {
        DispatchLog.CutOffStarted(Logger, norn.Id, notice.QueueSize, notice.CutOffPeriod, dropped);

        // Fire and forget, off the routing thread and outside its execution context.
        ThreadPool.UnsafeQueueUserWorkItem(
            static state => _ = state.Pool.NotifyCutOffAsync(state.Norn, state.Notice),
            (Pool: this, Norn: norn.Norn, Notice: notice),
            preferLocal: false);
    }

    void IDispatcherListener.OnExited(NornDispatcher dispatcher)
    {
        (Interlocked.Exchange(ref dispatcher.Status.SenderState, null) as IDisposable)?.Dispose(); // its workers are done
        _dispatchers.TryRemove(new KeyValuePair<string, NornDispatcher>(dispatcher.Id, dispatcher));
        _running.TryRemove(dispatcher, out _);
        Interlocked.Decrement(ref _activeCount);
    }

    void IDispatcherListener.OnGone(string nornId) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Pool.RemoveGoneAsync(state.Id), (Pool: this, Id: nornId), preferLocal: false);

    private async Task RemoveGoneAsync(string id)
    {
        try
        {
            await _removal.RemoveGoneAsync(id, _abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Shutting down; the norn is removed at the next 410 or by expiry.
        }
#pragma warning disable CA1031 // The store may fail in any way; the dispatcher has stopped regardless.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            DispatchLog.RemoveFailed(Logger, ex, id);
        }
    }

    private NornDispatcher GetOrStartDispatcher(RegisteredNorn norn, long nowTicks)
    {
        if (_dispatchers.TryGetValue(norn.Id, out var dispatcher))
        {
            return dispatcher;
        }

        var delivery = _options.CurrentValue.Delivery;
        _senders.TryGetValue(norn.Norn.Destination.Kind, out var sender);
        var created = new NornDispatcher(
            _context, norn, sender, _budgets.For(norn.Norn.Owner), delivery.QueueSize, delivery.Workers, delivery.CutOffPeriod, nowTicks);
        dispatcher = _dispatchers.GetOrAdd(norn.Id, created);
        if (ReferenceEquals(dispatcher, created))
        {
            Interlocked.Increment(ref _activeCount);
            _running.TryAdd(created, 0);
            created.Start();
            if (Volatile.Read(ref _state) != StateRunning)
            {
                created.CloseForShutdown(); // raced with StopAsync: deliver what gets in, then exit
            }

            if (sender is null)
            {
                DispatchLog.NoSender(Logger, norn.Id, norn.Norn.Destination.Kind);
            }
        }

        return dispatcher;
    }

    private async Task NotifyCutOffAsync(Norn norn, CutOffNotice notice)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
            cts.CancelAfter(_options.CurrentValue.Delivery.Timeout);
            await _cutOffNotifier.NotifyAsync(norn, notice, cts.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort by design: no retry, the answer and any failure are only logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            DispatchLog.CutOffNoticeFailed(Logger, ex, norn.Id);
        }
    }

    private void OnRegistryChanged(object? sender, NornRegistryChangedEventArgs e)
    {
        if (e.Removed && _dispatchers.TryGetValue(e.Id, out var dispatcher))
        {
            dispatcher.Stop(DropReasons.Deleted);
        }
    }

    private void RetireIdle()
    {
        var now = Time.GetUtcNow().UtcTicks;
        var idle = _options.CurrentValue.Delivery.IdleTimeout.Ticks;
        foreach (var pair in _dispatchers)
        {
            if (pair.Value.TryRetireIfIdle(now, idle))
            {
                DispatchLog.DispatcherRetired(Logger, pair.Key);
            }
        }
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _state, StateStopping);
        Registry.Changed -= OnRegistryChanged;
        await _idleTimer.DisposeAsync().ConfigureAwait(false);
        var drainTimeout = _options.CurrentValue.Delivery.DrainTimeout;
        using var deadline = new CancellationTokenSource(drainTimeout, Time);
        using var onDeadline = deadline.Token.UnsafeRegister(static state => ((NornDispatcherPool)state!).Abort(), this);
        using var onHostDeadline = cancellationToken.UnsafeRegister(static state => ((NornDispatcherPool)state!).Abort(), this);
        DispatchLog.Draining(Logger, _running.Count, drainTimeout);

        // Loop: a TryEnqueue that raced with the state change may have started one more dispatcher.
        while (!_running.IsEmpty)
        {
            var pending = new List<Task>(_running.Count);
            foreach (var pair in _running)
            {
                pair.Key.CloseForShutdown();
                pending.Add(pair.Key.Completion);
            }

            await Task.WhenAll(pending).ConfigureAwait(false);
        }
    }

    private void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (AggregateException ex)
        {
            DispatchLog.AbortCallbackFailed(Logger, ex);
        }
    }
}
