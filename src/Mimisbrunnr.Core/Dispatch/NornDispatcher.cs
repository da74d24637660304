using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;

namespace Mimisbrunnr.Dispatch;

/// <summary>
/// The buffer and workers of one active norn: a bounded channel, <c>Workers</c> readers, the cut-off state and the
/// bookkeeping that lets the pool retire it when idle. Every event that enters is accounted for exactly once: sent
/// (delivered or failed) or dropped with a reason, by whoever takes it out of the channel.
/// </summary>
internal sealed class NornDispatcher
{
    private readonly DispatcherContext _context;
    private readonly Channel<QueuedEvent> _channel;
    private readonly INornDestinationSender? _sender;
    private readonly DeliveryBudgets.OwnerBudget _budget;
    private readonly CancellationTokenSource _abort;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _cutOffTicks;
    private readonly int _maxBatchSize;
    private int _runningWorkers;
    private int _busyWorkers;
    private long _dropUntilTicks;
    private long _lastActivityTicks;
    private volatile bool _closed;
    private string? _stopReason;

    public NornDispatcher(
        DispatcherContext context,
        RegisteredNorn norn,
        INornDestinationSender? sender,
        DeliveryBudgets.OwnerBudget budget,
        int queueSize,
        int workers,
        TimeSpan cutOffPeriod,
        long nowTicks)
    {
        _context = context;
        _budget = budget;
        Id = norn.Id;
        DestinationType = norn.Norn.Destination.Kind;
        QueueSize = queueSize;
        Workers = workers;
        CutOffPeriod = cutOffPeriod;
        _cutOffTicks = cutOffPeriod.Ticks;
        _sender = sender;
        _maxBatchSize = Math.Max(1, sender?.MaxBatchSize ?? 1);
        _lastActivityTicks = nowTicks;
        Status = new NornDeliveryTracker(context.Metrics, DestinationType, new DateTimeOffset(nowTicks, TimeSpan.Zero));
        _abort = CancellationTokenSource.CreateLinkedTokenSource(context.Aborted);
        _channel = Channel.CreateBounded<QueuedEvent>(new BoundedChannelOptions(queueSize)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of dropping silently: a full buffer is a cut-off.
            SingleReader = workers == 1,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    public string Id { get; }

    public string DestinationType { get; }

    public int QueueSize { get; }

    public int Workers { get; }

    public TimeSpan CutOffPeriod { get; }

    /// <summary>The norn's delivery figures while this dispatcher lives (and the attempt observer of its sends).</summary>
    public NornDeliveryTracker Status { get; }

    /// <summary>Events buffered now.</summary>
    public int Queued => _channel.Reader.Count;

    /// <summary>Whether the norn is cut off at <paramref name="nowTicks"/>.</summary>
    public bool IsCutOff(long nowTicks) => nowTicks < Volatile.Read(ref _dropUntilTicks);

    /// <summary>The norn's delivery status on this instance at <paramref name="nowTicks"/>.</summary>
    public NornDeliveryStatus Snapshot(string instance, long nowTicks)
    {
        var dropUntil = Volatile.Read(ref _dropUntilTicks);
        var cutOff = nowTicks < dropUntil;
        var state = cutOff ? NornDeliveryStates.CutOff : Status.IsFailing ? NornDeliveryStates.Failing : NornDeliveryStates.Active;
        return Status.ToStatus(instance, state, Queued, cutOff ? new DateTimeOffset(dropUntil, TimeSpan.Zero) : null);
    }

    /// <summary>Completes when every worker has exited and the dispatcher left the pool.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Starts the workers, outside the caller's execution context (no request's trace or locals leak in).</summary>
    public void Start()
    {
        _runningWorkers = Workers;
        using (ExecutionContext.SuppressFlow())
        {
            for (var i = 0; i < Workers; i++)
            {
                _ = Task.Run(RunWorkerAsync);
            }
        }
    }

    /// <summary>Offers an event; <see langword="null"/> when this dispatcher is closed and the pool must use a new one.</summary>
    public EnqueueOutcome? TryEnqueue(in QueuedEvent item, RegisteredNorn norn, long nowTicks)
    {
        var metrics = _context.Metrics;
        if (nowTicks < Volatile.Read(ref _dropUntilTicks))
        {
            Drop(DropReasons.CutOff, 1);
            return EnqueueOutcome.CutOff;
        }

        if (_budget.TryReserve(item.Size) is { } overBudget)
        {
            Drop(overBudget, 1);
            return EnqueueOutcome.OverBudget;
        }

        if (_channel.Writer.TryWrite(item))
        {
            metrics.QueueChanged(1, item.Size);
            Volatile.Write(ref _lastActivityTicks, nowTicks);
            return EnqueueOutcome.Enqueued;
        }

        _budget.Release(item.Size);
        if (_closed)
        {
            return null;
        }

        // Full. Exactly one caller starts the cut-off; the others that lost the race count as cut off.
        var observed = Volatile.Read(ref _dropUntilTicks);
        var until = nowTicks + _cutOffTicks;
        if (nowTicks < observed || Interlocked.CompareExchange(ref _dropUntilTicks, until, observed) != observed)
        {
            Drop(DropReasons.CutOff, 1);
            return EnqueueOutcome.CutOff;
        }

        var emptied = Drain();
        Drop(DropReasons.QueueFull, emptied + 1);
        metrics.CutOff();
        Status.CutOff();
        _context.Listener.OnCutOff(
            this, norn, new CutOffNotice(CutOffPeriod, new DateTimeOffset(until, TimeSpan.Zero), QueueSize, Workers), emptied + 1);
        return EnqueueOutcome.QueueFull;
    }

    /// <summary>Empties the buffer because the norn expired; returns how many events were dropped.</summary>
    public long DropBuffered(string reason)
    {
        var count = Drain();
        Drop(reason, count);
        return count;
    }

    /// <summary>Stops for good (norn deleted or gone): no more sends, buffered and in-flight events dropped with <paramref name="reason"/>.</summary>
    public void Stop(string reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, reason, null) is not null)
        {
            return;
        }

        _closed = true;
        _channel.Writer.TryComplete();
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The workers already exited and released the token.
        }

        Drop(reason, Drain());
        DispatchLog.DispatcherStopped(_context.Logger, Id, reason);
    }

    /// <summary>Host shutdown: accept nothing more, let the workers send what is buffered and exit.</summary>
    public void CloseForShutdown()
    {
        _closed = true;
        _channel.Writer.TryComplete();
    }

    /// <summary>Retires the dispatcher when nothing happened for <paramref name="idleTicks"/> and it is not cut off.</summary>
    public bool TryRetireIfIdle(long nowTicks, long idleTicks)
    {
        if (_closed
            || nowTicks - Volatile.Read(ref _lastActivityTicks) < idleTicks
            || nowTicks < Volatile.Read(ref _dropUntilTicks)
            || Volatile.Read(ref _busyWorkers) > 0
            || _channel.Reader.Count > 0)
        {
            return false;
        }

        // An event written between the checks and the completion is still read and sent by the exiting workers.
        _closed = true;
        _channel.Writer.TryComplete();
        return true;
    }

    private async Task RunWorkerAsync()
    {
        var token = _abort.Token;
        var batch = new List<RoutedEvent>(_maxBatchSize);
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (TryTake(out var first))
                {
                    var norn = _context.FindNorn(Id);
                    if (norn is null)
                    {
                        Drop(DropReasons.Deleted, 1);
                        Stop(DropReasons.Deleted);
                        return;
                    }

                    if (norn.Norn.IsExpired(_context.Time.GetUtcNow()))
                    {
                        // As Caduceus: an event dequeued after expiry empties the queue.
                        Drop(DropReasons.Expired, 1 + Drain());
                        continue;
                    }

                    batch.Clear();
                    batch.Add(first.Event);
                    while (batch.Count < _maxBatchSize && TryTake(out var next))
                    {
                        batch.Add(next.Event);
                    }

                    if (await SendAsync(norn, batch, first.Parent, token).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped (deleted) or aborted (shutdown deadline); what is left is counted below.
        }
#pragma warning disable CA1031 // A worker must never die silently with events in its buffer.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            DispatchLog.WorkerFailed(_context.Logger, ex, Id);
        }
        finally
        {
            OnWorkerExited();
        }
    }

    /// <summary>Sends one batch; returns <see langword="true"/> when the dispatcher must stop (the norn is gone).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // one per send: pooled, not allocated
    private async ValueTask<bool> SendAsync(RegisteredNorn norn, List<RoutedEvent> batch, ActivityContext parent, CancellationToken token)
    {
        var metrics = _context.Metrics;
        if (_sender is null)
        {
            Drop(DropReasons.Failed, batch.Count); // logged once, when the dispatcher was created
            Status.SendFailed(_context.Time.GetUtcNow(), DeliveryErrorKinds.Other);
            return false;
        }

        Interlocked.Increment(ref _busyWorkers);
        var started = _context.Time.GetTimestamp();
        var startedAt = _context.Time.GetUtcNow();
        using var activity = StartActivity(parent, batch.Count);
        DeliveryOutcome outcome;
        var slot = false;
        try
        {
            // The owner's send cap: wait for one of the owner's other sends to finish (other owners are not affected).
            await _budget.Sends.WaitAsync(token).ConfigureAwait(false);
            slot = true;
            outcome = await _sender.SendAsync(norn.Norn, batch, Status, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            Drop(Volatile.Read(ref _stopReason) ?? DropReasons.Shutdown, batch.Count);
            activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
            throw;
        }
#pragma warning disable CA1031 // A sender's bug must not kill the norn's worker; the batch counts as failed.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            DispatchLog.SenderThrew(_context.Logger, ex, Id, DestinationType);
            outcome = DeliveryOutcome.Failed(batch.Count);
        }
        finally
        {
            if (slot)
            {
                _budget.Sends.Release();
            }

            Interlocked.Decrement(ref _busyWorkers);
            Volatile.Write(ref _lastActivityTicks, _context.Time.GetUtcNow().UtcTicks);
        }

        var elapsed = _context.Time.GetElapsedTime(started);
        var failed = Math.Clamp(outcome.FailedCount, 0, batch.Count);
        switch (outcome.Status)
        {
            case DeliveryStatus.Delivered:
                metrics.Delivered(DestinationType, "success", elapsed);
                Drop(DropReasons.Failed, failed);
                Status.Delivered(batch.Count - failed, _context.Time.GetUtcNow());
                activity?.SetStatus(ActivityStatusCode.Ok);
                return false;
            case DeliveryStatus.Gone:
                metrics.Delivered(DestinationType, "gone", elapsed);
                Drop(DropReasons.Deleted, batch.Count);
                activity?.SetStatus(ActivityStatusCode.Error, "gone");
                DispatchLog.DestinationGone(_context.Logger, Id, DestinationType);
                Stop(DropReasons.Deleted);
                _context.Listener.OnGone(Id);
                return true;
            default:
                metrics.Delivered(DestinationType, "failure", elapsed);
                Drop(DropReasons.Failed, failed == 0 ? batch.Count : failed);
                Status.SendFailed(startedAt, DeliveryErrorKinds.Other);
                activity?.SetStatus(ActivityStatusCode.Error, "failed");
                return false;
        }
    }

    private Activity? StartActivity(ActivityContext parent, int batchSize)
    {
        var source = MimisbrunnrActivitySource.Instance;
        if (!source.HasListeners())
        {
            return null;
        }

        var activity = source.StartActivity("mimisbrunnr.deliver", ActivityKind.Producer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("mimisbrunnr.norn.id", Id);
            activity.SetTag("mimisbrunnr.destination.type", DestinationType);
            activity.SetTag("mimisbrunnr.batch.size", batchSize);
        }

        return activity;
    }

    private void Drop(string reason, long count)
    {
        _context.Metrics.Dropped(reason, count);
        Status.Dropped(reason, count);
    }

    private bool TryTake(out QueuedEvent item)
    {
        if (_channel.Reader.TryRead(out item))
        {
            _context.Metrics.QueueChanged(-1, -item.Size);
            _budget.Release(item.Size);
            return true;
        }

        return false;
    }

    private long Drain()
    {
        var count = 0L;
        var bytes = 0L;
        while (_channel.Reader.TryRead(out var item))
        {
            count++;
            bytes += item.Size;
        }

        if (count > 0)
        {
            _context.Metrics.QueueChanged(-count, -bytes);
            _budget.Release(bytes);
        }

        return count;
    }

    private void OnWorkerExited()
    {
        if (Interlocked.Decrement(ref _runningWorkers) != 0)
        {
            return;
        }

        // The last worker out: whatever is still buffered (aborted at the shutdown deadline) is not delivered.
        _closed = true;
        _channel.Writer.TryComplete();
        Drop(Volatile.Read(ref _stopReason) ?? DropReasons.Shutdown, Drain());
        _context.Listener.OnExited(this);
        _abort.Dispose();
        _completion.TrySetResult();
    }
}
