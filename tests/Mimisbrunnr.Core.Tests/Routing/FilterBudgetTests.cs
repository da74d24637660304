using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Diagnostics;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Routing;

/// <summary>A tenant's filters cannot hold up /events: linear-time regexes, and a time budget per event.</summary>
public sealed class FilterBudgetTests : IDisposable
{
    private const string Device = "mac:112233445566";

    // The pattern that made each event take 100 s with 100 norns of 10 such filters on the backtracking engine.
    private const string Catastrophic = "^([a-z0-9:/-]+)*!$";

    private readonly FakeTimeProvider _time = new(TestNorns.T0);
    private readonly NornRegistry _registry = new();
    private readonly RecordingSink _sink = new();
    private readonly MetricRecorder _counters;
    private readonly MimisbrunnrMetrics _metrics;

    public FilterBudgetTests() => (_metrics, _counters) = MetricRecorder.Create();

    public void Dispose() => _counters.Dispose();

    [Fact]
    public void Filter_patterns_run_on_the_non_backtracking_engine_with_a_short_timeout()
    {
        var regex = EventFilter.GetRegex(Catastrophic);

        Assert.True(regex.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.True(regex.MatchTimeout <= TimeSpan.FromMilliseconds(50));
        Assert.DoesNotMatch(regex, "device-status/mac:112233445566/online" + new string('a', 5000));
        Assert.Same(regex, EventFilter.GetRegex(new string(Catastrophic.AsSpan())));
    }

    [Fact]
    public void Past_the_budget_filtered_norns_miss_the_event_as_a_counted_drop_and_unfiltered_ones_still_get_it()
    {
        for (var i = 0; i < 100; i++)
        {
            _registry.Apply(TestNorns.Http(Device, $"https://hostile.example/{i}", owner: "mallory", filter: new NornFilter { Events = [.. Enumerable.Repeat(Catastrophic, 10)] }));
        }

        _registry.Apply(TestNorns.Http(Device, "https://alice.example/", owner: "alice"));
        var router = new EventRouter(_registry, _sink, new DeviceIdExtractor([], filterBudget: TimeSpan.Zero), _time, _metrics);

        var result = router.Route(Online());

        Assert.Equal(1, result.Enqueued);
        Assert.Equal("https://alice.example/", Assert.Single(_sink.Offered).Norn.Norn.Destination.Http!.Url);
        Assert.Equal(100, _counters.Drops(DropReasons.FilterBudget));
    }

    [Fact]
    public void Within_the_budget_every_filter_is_tried()
    {
        _registry.Apply(TestNorns.Http(Device, "https://a.example/1", filter: new NornFilter { Events = ["^device-status/.*/online$"] }));
        _registry.Apply(TestNorns.Http(Device, "https://a.example/2", filter: new NornFilter { Events = [Catastrophic] }));
        var router = new EventRouter(_registry, _sink, new DeviceIdExtractor([]), _time, _metrics);

        // A pattern's first matches build its automaton, which can take more than the whole budget on a loaded machine;
        // build it first, so that the budget measures matching.
        Assert.Matches(EventFilter.GetRegex("^device-status/.*/online$"), $"device-status/{Device}/online");
        router.Route(Online());

        Assert.Equal("https://a.example/1", Assert.Single(_sink.Offered).Norn.Norn.Destination.Http!.Url);
        Assert.Equal(1, _counters.Filtered("filter"));
        Assert.Equal(0, _counters.Drops(DropReasons.FilterBudget));
    }

    private static WrpMessage Online() => new()
    {
        Type = MessageType.SimpleEvent,
        Source = Device + "/parodus",
        Destination = $"event:device-status/{Device}/online",
    };
}
