using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Diagnostics;

namespace Mimisbrunnr.Testing.Diagnostics;

/// <summary>
/// Records every measurement of one <see cref="Meter"/> instance (a host's or a test's own
/// <see cref="MimisbrunnrMetrics"/>, so tests running in parallel never see each other's numbers). Counters are
/// recorded synchronously where the engine counts, which makes them deterministic signals: "the event was dropped as
/// expired", "the router found no norn", instead of "nothing arrived within 200 ms".
/// </summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

    /// <summary>Starts recording <paramref name="meter"/>.</summary>
    /// <param name="meter">The meter instance.</param>
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

    /// <summary>The current queue depth (sum of the up/down counter).</summary>
    public long QueueDepth => (long)Sum("mimisbrunnr.queue.depth");

    /// <summary>Cut-offs.</summary>
    public long CutOffs => (long)Sum("mimisbrunnr.cutoffs");

    /// <summary>A fresh metrics instance (its own meter factory) and a recorder listening to it.</summary>
    /// <returns>Both.</returns>
    internal static (MimisbrunnrMetrics Metrics, MetricRecorder Recorder) Create()
    {
        var factory = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        var metrics = new MimisbrunnrMetrics(factory);
        return (metrics, new MetricRecorder(metrics.Meter));
    }

    /// <summary>A recorder of the metrics instance of a container (a host's).</summary>
    /// <param name="services">The container.</param>
    /// <returns>The recorder.</returns>
    internal static MetricRecorder For(IServiceProvider services) => new(services.GetRequiredService<MimisbrunnrMetrics>().Meter);

    /// <summary>The sum of an instrument's measurements, optionally only those with a tag value.</summary>
    /// <param name="instrument">The instrument name, for example <c>mimisbrunnr.events.received</c>.</param>
    /// <param name="tag">A tag name, for example <c>outcome</c>.</param>
    /// <param name="value">The tag value, for example <c>no_norns</c>.</param>
    /// <returns>The sum.</returns>
    public double Sum(string instrument, string? tag = null, string? value = null) =>
        _measurements
            .Where(m => m.Instrument == instrument)
            .Where(m => tag is null || m.Tags.Any(t => t.Key == tag && Equals(t.Value, value)))
            .Sum(m => m.Value);

    /// <summary>Events received with an outcome (<c>routed</c>, <c>no_norns</c>, <c>no_device_id</c>).</summary>
    /// <param name="outcome">The outcome.</param>
    /// <returns>The count.</returns>
    public long EventsReceived(string outcome) => (long)Sum("mimisbrunnr.events.received", "outcome", outcome);

    /// <summary>Events dropped with a reason (see <see cref="DropReasons"/>).</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The count.</returns>
    public long Drops(string reason) => (long)Sum("mimisbrunnr.drops", "reason", reason);

    /// <summary>Events a norn did not take for a reason that is not a drop (<c>partner</c>, <c>filter</c>).</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The count.</returns>
    public long Filtered(string reason) => (long)Sum("mimisbrunnr.filtered", "reason", reason);

    /// <summary>All drops, by reason.</summary>
    /// <returns>The counts.</returns>
    public IReadOnlyDictionary<string, long> DropsByReason() =>
        _measurements
            .Where(m => m.Instrument == "mimisbrunnr.drops")
            .GroupBy(m => (string)m.Tags.Single(t => t.Key == "reason").Value!)
            .ToDictionary(g => g.Key, g => (long)g.Sum(m => m.Value));

    /// <summary>Finished deliveries with an outcome (<c>success</c>, <c>failure</c>, <c>gone</c>).</summary>
    /// <param name="outcome">The outcome.</param>
    /// <returns>The count.</returns>
    public long Deliveries(string outcome) => (long)Sum("mimisbrunnr.deliveries", "outcome", outcome);

    /// <summary>Polls the observable instruments (gauges) now.</summary>
    /// <param name="instrument">The instrument name.</param>
    /// <returns>Its latest value.</returns>
    public double Observe(string instrument)
    {
        var before = _measurements.Count(m => m.Instrument == instrument);
        _listener.RecordObservableInstruments();
        return _measurements.Where(m => m.Instrument == instrument).Skip(before).Select(m => m.Value).LastOrDefault();
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", DropsByReason().Select(p => $"{p.Key}={p.Value}"));

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
