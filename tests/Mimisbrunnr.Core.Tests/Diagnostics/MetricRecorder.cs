using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Diagnostics;

namespace Mimisbrunnr.Tests.Diagnostics;

/// <summary>
/// Records the measurements of one <see cref="MimisbrunnrMetrics"/> instance (its own <see cref="Meter"/>, so tests
/// running in parallel do not see each other's numbers).
/// </summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

    public MetricRecorder(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.Start();
    }

    /// <summary>A fresh metrics instance (own meter factory) and a recorder listening to it.</summary>
    public static (MimisbrunnrMetrics Metrics, MetricRecorder Recorder) Create()
    {
        var factory = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        var metrics = new MimisbrunnrMetrics(factory);
        return (metrics, new MetricRecorder(metrics.Meter));
    }

    /// <summary>The sum of an instrument's measurements, optionally only those with a tag value.</summary>
    public double Sum(string instrument, string? tag = null, string? value = null) =>
        _measurements
            .Where(m => m.Instrument == instrument)
            .Where(m => tag is null || m.Tags.Any(t => t.Key == tag && Equals(t.Value, value)))
            .Sum(m => m.Value);

    /// <summary>Events dropped with a reason.</summary>
    public long Drops(string reason) => (long)Sum("mimisbrunnr.drops", "reason", reason);

    /// <summary>All drops, by reason.</summary>
    public IReadOnlyDictionary<string, long> DropsByReason() =>
        _measurements
            .Where(m => m.Instrument == "mimisbrunnr.drops")
            .GroupBy(m => (string)m.Tags.Single(t => t.Key == "reason").Value!)
            .ToDictionary(g => g.Key, g => (long)g.Sum(m => m.Value));

    /// <summary>Finished deliveries with an outcome.</summary>
    public long Deliveries(string outcome) => (long)Sum("mimisbrunnr.deliveries", "outcome", outcome);

    /// <summary>The current queue depth (sum of the up/down counter).</summary>
    public long QueueDepth => (long)Sum("mimisbrunnr.queue.depth");

    /// <summary>Cut-offs.</summary>
    public long CutOffs => (long)Sum("mimisbrunnr.cutoffs");

    /// <summary>Polls the observable instruments (gauges) now.</summary>
    public double Observe(string instrument)
    {
        var before = _measurements.Count(m => m.Instrument == instrument);
        _listener.RecordObservableInstruments();
        return _measurements.Where(m => m.Instrument == instrument).Skip(before).Select(m => m.Value).LastOrDefault();
    }

    public override string ToString() => string.Join(", ", DropsByReason().Select(p => $"{p.Key}={p.Value}"));

    public void Dispose() => _listener.Dispose();
}
