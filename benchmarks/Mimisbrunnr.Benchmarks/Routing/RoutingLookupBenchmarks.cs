using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Benchmarks.Norns;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Benchmarks.Routing;

/// <summary>
/// Does routing cost stay flat as the registry grows? One norn per device; lookups and routes go to 1,024 devices
/// spread over the whole registry (not one hot entry). Target: 1,000,000 norns within 1.2x of 1,000.
/// </summary>
[MemoryDiagnoser]
public class RoutingLookupBenchmarks
{
    private const int Probes = 1024;

    private NornRegistry _registry = null!;
    private EventRouter _router = null!;
    private DeviceId[] _devices = null!;
    private WrpMessage[] _messages = null!;

    /// <summary>Registered norns.</summary>
    [Params(1_000, 1_000_000)]
    public int Norns { get; set; }

    /// <summary>Fills the registry and prepares the probe events.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _registry = new NornRegistry(new InMemoryNornStore());
        _registry.Reset(Enumerable.Range(0, Norns).Select(i => BenchmarkNorns.Make(i, i)));
        var metrics = new MimisbrunnrMetrics(
            new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _router = new EventRouter(
            _registry,
            new NoOpSink(),
            new DeviceIdExtractor([new DeviceIdRule { Regex = "^event:device-status/", EventType = DeviceIdRuleType.State }]),
            new FixedTime(BenchmarkNorns.T0),
            metrics);
        var random = new Random(42);
        var picked = Enumerable.Range(0, Probes).Select(_ => random.Next(Norns)).ToArray();
        _devices = [.. picked.Select(i => DeviceId.Parse(BenchmarkNorns.DeviceId(i)))];
        _messages = [.. picked.Select(i => new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = "dns:talaria.example",
            Destination = $"event:device-status/{BenchmarkNorns.DeviceId(i)}/online",
        })];
    }

    /// <summary>The registry lookup alone.</summary>
    /// <returns>The norns found (kept alive).</returns>
    [Benchmark(OperationsPerInvoke = Probes)]
    public int GetByDevice()
    {
        var found = 0;
        foreach (var device in _devices)
        {
            found += _registry.GetByDevice(device).Count;
        }

        return found;
    }

    /// <summary>A whole route: device id rule, canonicalisation, lookup, filter, expiry, enqueue.</summary>
    /// <returns>The norns enqueued to.</returns>
    [Benchmark(OperationsPerInvoke = Probes)]
    public int Route()
    {
        var enqueued = 0;
        foreach (var message in _messages)
        {
            enqueued += _router.Route(message).Enqueued;
        }

        return enqueued;
    }

    internal sealed class NoOpSink : INornEventSink
    {
        public EnqueueOutcome TryEnqueue(RegisteredNorn norn, RoutedEvent routedEvent) => EnqueueOutcome.Enqueued;
    }

    internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
