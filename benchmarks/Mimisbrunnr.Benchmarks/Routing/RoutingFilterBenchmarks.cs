using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Benchmarks.Norns;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Benchmarks.Routing;

/// <summary>
/// One event against 100 norns of its device with 10 event filters each (1,000 patterns, none of which matches, so
/// every one is tried), on the backtracking engine the filters used before (interpreted, 100 ms timeout) and on the
/// non-backtracking engine they use now; and the whole route through <see cref="EventRouter"/> with the filters of today.
/// The catastrophic set is the pattern of the abuse report (<c>^([a-z0-9:/-]+)*!$</c>): on the old engine one match
/// runs into its 100 ms timeout, so only a single match of it is measured there.
/// </summary>
[MemoryDiagnoser]
public class RoutingFilterBenchmarks
{
    private const string EventType = "device-status/mac:112233445566/online";
    private const int Norns = 100;
    private const int FiltersPerNorn = 10;

    private static readonly string[] Typical =
    [
        "^device-status/.*/offline$", "^fully-manageable/", "^node-change/.*/reboot$", "^iot/.*/alarm$", "config-change$",
        "^device-status/.*/operational$", "^qos/", "^wifi/.*/(connect|disconnect)$", "^firmware/.*/upgrade-(started|failed)$",
        "^device-status/[^/]+/(boot|shutdown)$",
    ];

    private const string Catastrophic = "^([a-z0-9:/-]+)*!$";

    private Regex[] _backtracking = null!;
    private Regex[] _nonBacktracking = null!;
    private Regex[] _catastrophicNonBacktracking = null!;
    private Regex _catastrophicBacktracking = null!;
    private EventRouter _router = null!;
    private WrpMessage _message = null!;

    /// <summary>Compiles the patterns (each norn its own instances on the old engine; one per pattern on the new).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _backtracking = [.. Enumerable.Range(0, Norns * FiltersPerNorn)
            .Select(i => new Regex(Typical[i % FiltersPerNorn], RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)))];
        _nonBacktracking = [.. Enumerable.Range(0, Norns * FiltersPerNorn).Select(i => EventFilter.GetRegex(Typical[i % FiltersPerNorn]))];
        _catastrophicNonBacktracking = [.. Enumerable.Range(0, Norns * FiltersPerNorn).Select(_ => EventFilter.GetRegex(Catastrophic))];
        _catastrophicBacktracking = new Regex(Catastrophic, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

        var registry = new NornRegistry();
        registry.Reset(Enumerable.Range(0, Norns).Select(i => BenchmarkNorns.Make(7, i) with
        {
            Filter = new NornFilter { Events = Typical },
        }));
        var metrics = new MimisbrunnrMetrics(
            new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _router = new EventRouter(
            registry,
            new RoutingLookupBenchmarks.NoOpSink(),
            new DeviceIdExtractor([new DeviceIdRule { Regex = "^event:device-status/", EventType = DeviceIdRuleType.State }], TimeSpan.FromSeconds(10)),
            new RoutingLookupBenchmarks.FixedTime(BenchmarkNorns.T0),
            metrics);
        _message = new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = "dns:talaria.example",
            Destination = $"event:device-status/{BenchmarkNorns.DeviceId(7)}/online",
        };
    }

    /// <summary>1,000 typical patterns on the backtracking engine (before).</summary>
    /// <returns>How many matched.</returns>
    [Benchmark(Baseline = true)]
    public int Typical_Backtracking() => CountMatches(_backtracking);

    /// <summary>1,000 typical patterns on the non-backtracking engine (now).</summary>
    /// <returns>How many matched.</returns>
    [Benchmark]
    public int Typical_NonBacktracking() => CountMatches(_nonBacktracking);

    /// <summary>Routing the event to the 100 filtered norns, filters included (now).</summary>
    /// <returns>The norns enqueued to.</returns>
    [Benchmark]
    public int Route_100Norns_10Filters() => _router.Route(_message).Enqueued;

    /// <summary>1,000 matches of the catastrophic pattern on the non-backtracking engine (now).</summary>
    /// <returns>How many matched.</returns>
    [Benchmark]
    public int Catastrophic_NonBacktracking() => CountMatches(_catastrophicNonBacktracking);

    /// <summary>ONE match of the catastrophic pattern on the backtracking engine (before): its 100 ms timeout.</summary>
    /// <returns>Whether it matched (it times out).</returns>
    [Benchmark]
    public bool Catastrophic_Backtracking_OneMatch()
    {
        try
        {
            return _catastrophicBacktracking.IsMatch(EventType);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static int CountMatches(Regex[] patterns)
    {
        var matched = 0;
        foreach (var regex in patterns)
        {
            try
            {
                if (regex.IsMatch(EventType))
                {
                    matched++;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // As routing does: a pattern that takes this long is no match.
            }
        }

        return matched;
    }
}
