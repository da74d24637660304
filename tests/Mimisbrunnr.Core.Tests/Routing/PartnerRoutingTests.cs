using Mimisbrunnr.Norns;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Routing;

/// <summary>Partner ids decide which tenants' norns see an event, as Caduceus decides for webhooks.</summary>
public sealed class PartnerRoutingTests : RouterTest
{
    private const string Device = "mac:112233445566";

    public PartnerRoutingTests()
        : base([])
    {
        Add("https://comcast.example/", "comcast");
        Add("https://sky.example/", "sky");
        Add("https://both.example/", "sky", "comcast");
        Add("https://operator.example/", "*");
        Add("https://legacy.example/"); // written without partner ids
    }

    [Theory]
    [InlineData(new[] { "comcast" }, new[] { "both", "comcast", "legacy", "operator" })]
    [InlineData(new[] { "sky" }, new[] { "both", "legacy", "operator", "sky" })]
    [InlineData(new[] { "other", "sky" }, new[] { "both", "legacy", "operator", "sky" })]
    [InlineData(new[] { "other" }, new[] { "legacy", "operator" })]
    [InlineData(new[] { "Comcast" }, new[] { "legacy", "operator" })] // compared exactly
    public void An_event_reaches_the_norns_that_share_a_partner_with_it(string[] partners, string[] expected)
    {
        var result = Router.Route(Event(partners));

        Assert.Equal(expected, Reached());
        Assert.Equal(expected.Length, result.Enqueued);
        Assert.Equal(5 - expected.Length, Metrics.Filtered("partner"));
    }

    [Fact]
    public void An_event_without_partner_ids_reaches_only_every_partner_norns_without_a_default_list()
    {
        Router.Route(Event([]));

        Assert.Equal(["legacy", "operator"], Reached());
    }

    [Fact]
    public void An_event_without_partner_ids_is_treated_as_carrying_the_default_list()
    {
        Router.Route(Event([]), ["sky"]);

        Assert.Equal(["both", "legacy", "operator", "sky"], Reached());
    }

    [Fact]
    public void The_default_list_does_not_apply_to_an_event_that_has_partner_ids()
    {
        Router.Route(Event(["comcast"]), ["sky"]);

        Assert.Equal(["both", "comcast", "legacy", "operator"], Reached());
    }

    [Fact]
    public void Partner_checks_come_before_filters_and_both_are_counted_apart()
    {
        Registry.Apply(TestNorns.Http(Device, "https://filtered.example/", filter: new NornFilter { Events = ["^never$"] }) with { PartnerIds = ["comcast"] });

        Router.Route(Event(["comcast"]));

        Assert.Equal(1, Metrics.Filtered("filter"));
        Assert.Equal(1, Metrics.Filtered("partner")); // sky
    }

    private void Add(string url, params string[] partners) =>
        Registry.Apply(TestNorns.Http(Device, url) with { PartnerIds = partners.Length == 0 ? null : partners });

    private string[] Reached() =>
        [.. Sink.Offered.Select(o => new Uri(o.Norn.Norn.Destination.Http!.Url).Host.Split('.')[0]).Order(StringComparer.Ordinal)];

    private static WrpMessage Event(string[] partners) => new()
    {
        Type = MessageType.SimpleEvent,
        Source = Device + "/parodus",
        Destination = "event:device-status/" + Device + "/online",
        PartnerIds = partners,
    };
}
