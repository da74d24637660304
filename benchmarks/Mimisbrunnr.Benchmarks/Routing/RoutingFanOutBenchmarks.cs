using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Benchmarks.Norns;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Benchmarks.Routing;

/// <summary>
/// The routing side of fan-out: one event offered to 1, 10 or 100 norns of its device (a no-op sink, so this is the
/// router's own cost per event; delivery is measured by the dispatch benchmarks).
/// </summary>
[MemoryDiagnoser]
public class RoutingFanOutBenchmarks
{
    private EventRouter _router = null!;
    private WrpMessage _message = null!;

    /// <summary>Norns registered for the event's device.</summary>
    [Params(1, 10, 100)]
    public int NornsPerDevice { get; set; }

    /// <summary>Registers the norns.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var registry = new NornRegistry();
        registry.Reset(Enumerable.Range(0, NornsPerDevice).Select(i => BenchmarkNorns.Make(7, i)));
        var metrics = new MimisbrunnrMetrics(
            new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _router = new EventRouter(
            registry,
            new RoutingLookupBenchmarks.NoOpSink(),
            new DeviceIdExtractor([new DeviceIdRule { Regex = "^event:device-status/", EventType = DeviceIdRuleType.State }]),
            new RoutingLookupBenchmarks.FixedTime(BenchmarkNorns.T0),
            metrics);
        _message = new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = "dns:talaria.example",
            Destination = $"event:device-status/{BenchmarkNorns.DeviceId(7)}/online",
        };
    }

    /// <summary>Routes one event.</summary>
    /// <returns>The norns enqueued to.</returns>
    [Benchmark]
    public int Route() => _router.Route(_message).Enqueued;
}
