using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Benchmarks.Norns;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Benchmarks.Routing;

/// <summary>
/// Does routing cost stay flat as the registry grows? One norn per device. Each invocation looks up or routes 4,096
/// events from <see cref="ActiveDevices"/> distinct devices picked at random over the whole registry (each device
/// equally often: with 4,096 active devices every one of them once, in random order): 16 active
/// devices keep the touched entries in cache (the cost of the algorithm), 4,096 spread them over the heap (the cost
/// of memory latency, which grows with the heap whatever the structure). Target: 1,000,000 norns within 1.2x of 1,000.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class RoutingLookupBenchmarks
{
    /// <summary>Events per invocation (before 2026-12-07: 1,024, so only 1,024 of the 4,096 active devices were used).</summary>
    internal const int Probes = 4096;

    private NornRegistry _registry = null!;
    private EventRouter _router = null!;
    private DeviceId[] _devices = null!;
    private WrpMessage[] _messages = null!;

    /// <summary>Registered norns.</summary>
    [Params(1_000, 1_000_000)]
    public int Norns { get; set; }

    /// <summary>Distinct devices the events come from.</summary>
    [Params(16, 4096)]
    public int ActiveDevices { get; set; }

    /// <summary>Fills the registry and prepares the probe events.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _registry = new NornRegistry();
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
        var active = Enumerable.Range(0, ActiveDevices).Select(_ => random.Next(Norns)).ToArray();
        var picked = Enumerable.Range(0, Probes).Select(i => active[i % active.Length]).ToArray();
        random.Shuffle(picked);
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
