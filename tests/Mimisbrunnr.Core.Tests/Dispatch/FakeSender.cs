using System.Collections.Concurrent;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;

namespace Mimisbrunnr.Tests.Dispatch;

/// <summary>
/// A destination sender that records what it is given and can be held (per norn) until the test releases it. Held
/// sends honour cancellation, as a real sender does.
/// </summary>
internal sealed class FakeSender(string kind = DestinationKinds.Http, int maxBatchSize = 1) : INornDestinationSender
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    private int _inFlight;
    private int _maxInFlight;
    private int _started;

    public string Kind { get; } = kind;

    public int MaxBatchSize { get; } = maxBatchSize;

    /// <summary>Every call, in order of completion: the norn version it got and the batch.</summary>
    public ConcurrentQueue<(Norn Norn, RoutedEvent[] Batch)> Sent { get; } = new();

    /// <summary>Outcomes to return, in order; afterwards <see cref="DeliveryOutcome.Delivered"/>.</summary>
    public ConcurrentQueue<Func<DeliveryOutcome>> Outcomes { get; } = new();

    public int Started => Volatile.Read(ref _started);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int CancelledCount;

    public IEnumerable<RoutedEvent> SentEvents => Sent.SelectMany(s => s.Batch);

    /// <summary>Holds every send to a norn until <see cref="Release"/>.</summary>
    public void Hold(string nornId) => _gates[nornId] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release(string nornId)
    {
        if (_gates.TryRemove(nornId, out var gate))
        {
            gate.TrySetResult();
        }
    }

    public async ValueTask<DeliveryOutcome> SendAsync(Norn norn, IReadOnlyList<RoutedEvent> batch, CancellationToken cancellationToken)
    {
        var copy = batch.ToArray();
        Interlocked.Increment(ref _started);
        var now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }

        try
        {
            if (_gates.TryGetValue(norn.Id, out var gate))
            {
                try
                {
                    await gate.Task.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref CancelledCount);
                    throw;
                }
            }

            var outcome = Outcomes.TryDequeue(out var next) ? next() : DeliveryOutcome.Delivered;
            Sent.Enqueue((norn, copy));
            return outcome;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

/// <summary>Records cut-off notices.</summary>
internal sealed class FakeCutOffNotifier : INornCutOffNotifier
{
    public ConcurrentQueue<(Norn Norn, CutOffNotice Notice)> Notices { get; } = new();

    public ValueTask NotifyAsync(Norn norn, CutOffNotice notice, CancellationToken cancellationToken)
    {
        Notices.Enqueue((norn, notice));
        return ValueTask.CompletedTask;
    }
}
