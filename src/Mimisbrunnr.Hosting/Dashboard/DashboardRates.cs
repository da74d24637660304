using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Mimisbrunnr.Diagnostics;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// The dashboard's rates, computed in process from the <c>Mimisbrunnr</c> meter: a <see cref="MeterListener"/> adds up
/// events received, deliveries by outcome, drops by reason and cut-offs of this host's meter (not other hosts' in the
/// same process), and a timer on the host's <see cref="TimeProvider"/> closes one bucket per second into a ring of
/// <see cref="Capacity"/> buckets (the last five minutes). Costs a few interlocked adds per measurement while the
/// host runs, nothing per norn.
/// </summary>
internal sealed class DashboardRates : IHostedService, IDisposable
{
    /// <summary>Seconds kept.</summary>
    public const int Capacity = 300;

    private readonly IMeterFactory _meterFactory;
    private readonly TimeProvider _time;
    private readonly MeterListener _listener = new();
    private readonly Lock _ringLock = new();
    private readonly Bucket[] _ring = new Bucket[Capacity];
    private readonly long[] _dropsByReason = new long[DropReasonNames.Length + 1];
    private long _events;
    private long _delivered;
    private long _failed;
    private long _cutOffs;
    private Bucket _previousTotals;
    private int _ringNext;
    private int _ringCount;
    private DateTimeOffset _lastBucketAt;
    private ITimer? _timer;

    public DashboardRates(IMeterFactory meterFactory, TimeProvider time)
    {
        _meterFactory = meterFactory;
        _time = time;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MimisbrunnrTelemetry.MeterName && ReferenceEquals(instrument.Meter.Scope, _meterFactory)
                && Kind(instrument.Name) is { } kind)
            {
                listener.EnableMeasurementEvents(instrument, new Measured(this, kind));
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Measured)state!).Rates.Add(((Measured)state).Kind, value, tags));
        _listener.Start();
    }

    /// <summary>The drop reasons counted one by one (others count as <c>other</c>).</summary>
    internal static readonly string[] DropReasonNames =
        [DropReasons.QueueFull, DropReasons.CutOff, DropReasons.Expired, DropReasons.Deleted, DropReasons.Shutdown, DropReasons.Failed,
            DropReasons.FilterBudget];

    private enum Counted
    {
        Events,
        Deliveries,
        Drops,
        CutOffs,
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_ringLock)
        {
            _lastBucketAt = _time.GetUtcNow();
            _previousTotals = Totals();
        }

        _timer = _time.CreateTimer(static state => ((DashboardRates)state!).CloseBucket(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _timer?.Dispose();
        _listener.Dispose();
    }

    /// <summary>The totals since the host started and the per-second buckets, oldest first.</summary>
    public (DashboardTotals Totals, DashboardSeries Series) Read()
    {
        var totals = new DashboardTotals
        {
            EventsReceived = Interlocked.Read(ref _events),
            Delivered = Interlocked.Read(ref _delivered),
            Failed = Interlocked.Read(ref _failed),
            CutOffs = Interlocked.Read(ref _cutOffs),
            Dropped = DroppedByReason(),
        };

        lock (_ringLock)
        {
            var count = _ringCount;
            var events = new long[count];
            var deliveries = new long[count];
            var failures = new long[count];
            var drops = new long[count];
            for (var i = 0; i < count; i++)
            {
                var bucket = _ring[(_ringNext - count + i + Capacity) % Capacity];
                events[i] = bucket.Events;
                deliveries[i] = bucket.Delivered;
                failures[i] = bucket.Failed;
                drops[i] = bucket.Dropped;
            }

            return (totals, new DashboardSeries
            {
                IntervalSeconds = 1,
                End = _lastBucketAt,
                Events = events,
                Deliveries = deliveries,
                Failures = failures,
                Drops = drops,
            });
        }
    }

    private static Counted? Kind(string instrument) => instrument switch
    {
        "mimisbrunnr.events.received" => Counted.Events,
        "mimisbrunnr.deliveries" => Counted.Deliveries,
        "mimisbrunnr.drops" => Counted.Drops,
        "mimisbrunnr.cutoffs" => Counted.CutOffs,
        _ => null,
    };

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    private void Add(Counted kind, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        switch (kind)
        {
            case Counted.Events:
                Interlocked.Add(ref _events, value);
                break;
            case Counted.Deliveries:
                if (Tag(tags, "outcome") == "success")
                {
                    Interlocked.Add(ref _delivered, value);
                }
                else
                {
                    Interlocked.Add(ref _failed, value);
                }

                break;
            case Counted.Drops:
                var index = Array.IndexOf(DropReasonNames, Tag(tags, "reason"));
                Interlocked.Add(ref _dropsByReason[index < 0 ? DropReasonNames.Length : index], value);
                break;
            case Counted.CutOffs:
                Interlocked.Add(ref _cutOffs, value);
                break;
        }
    }

    private Dictionary<string, long> DroppedByReason()
    {
        var dropped = new Dictionary<string, long>(DropReasonNames.Length + 1, StringComparer.Ordinal);
        for (var i = 0; i < DropReasonNames.Length; i++)
        {
            dropped[DropReasonNames[i]] = Interlocked.Read(ref _dropsByReason[i]);
        }

        dropped["other"] = Interlocked.Read(ref _dropsByReason[DropReasonNames.Length]);
        return dropped;
    }

    private Bucket Totals()
    {
        var dropped = 0L;
        for (var i = 0; i < _dropsByReason.Length; i++)
        {
            dropped += Interlocked.Read(ref _dropsByReason[i]);
        }

        return new Bucket(Interlocked.Read(ref _events), Interlocked.Read(ref _delivered), Interlocked.Read(ref _failed), dropped);
    }

    private void CloseBucket()
    {
        lock (_ringLock)
        {
            var totals = Totals();
            _ring[_ringNext] = new Bucket(
                totals.Events - _previousTotals.Events,
                totals.Delivered - _previousTotals.Delivered,
                totals.Failed - _previousTotals.Failed,
                totals.Dropped - _previousTotals.Dropped);
            _previousTotals = totals;
            _ringNext = (_ringNext + 1) % Capacity;
            _ringCount = Math.Min(_ringCount + 1, Capacity);
            _lastBucketAt = _time.GetUtcNow();
        }
    }

    private readonly record struct Bucket(long Events, long Delivered, long Failed, long Dropped);

    private sealed record Measured(DashboardRates Rates, Counted Kind);
}
