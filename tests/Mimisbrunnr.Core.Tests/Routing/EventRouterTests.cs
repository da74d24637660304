using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Routing;

public sealed class EventRouterTests : RouterTest
{
    private const string Device = "mac:112233445566";

    private static WrpMessage Online(string device = "MAC:11:22:33:44:55:66") => new()
    {
        Type = MessageType.SimpleEvent,
        Source = "dns:talaria.example",
        Destination = $"event:device-status/{device}/online",
        Metadata = new Dictionary<string, string> { ["/trust"] = "1000" },
    };

    [Fact]
    public void An_event_without_a_device_id_is_counted_and_goes_nowhere()
    {
        var result = Router.Route(new WrpMessage { Type = MessageType.SimpleEvent, Source = "junk", Destination = "event:x" });

        Assert.Equal(RouteOutcome.NoDeviceId, result.Outcome);
        Assert.True(result.DeviceId.IsEmpty);
        Assert.Empty(Sink.Offered);
        Assert.Equal(1, Metrics.EventsReceived("no_device_id"));
    }

    [Fact]
    public void An_event_of_a_device_without_norns_is_counted()
    {
        Registry.Apply(TestNorns.Http("mac:665544332211", "https://a.example/"));

        var result = Router.Route(Online());

        Assert.Equal(new RouteResult(RouteOutcome.NoNorns, DeviceId.Parse(Device), 0, 0, 0), result);
        Assert.Equal(1, Metrics.EventsReceived("no_norns"));
    }

    [Fact]
    public void The_event_goes_to_every_matching_norn_of_its_device_as_one_shared_routed_event()
    {
        var all = TestNorns.Http(Device, "https://a.example/1");
        var online = TestNorns.Http(Device, "https://a.example/2", filter: new NornFilter { Events = ["/online$"] });
        var offline = TestNorns.Http(Device, "https://a.example/3", filter: new NornFilter { Events = ["/offline$"] });
        var otherDevice = TestNorns.Http("mac:665544332211", "https://a.example/4");
        foreach (var norn in new[] { all, online, offline, otherDevice })
        {
            Registry.Apply(norn);
        }

        var result = Router.Route(Online());

        Assert.Equal(new RouteResult(RouteOutcome.Routed, DeviceId.Parse(Device), Matched: 2, Enqueued: 2, Dropped: 0), result);
        var offered = Sink.Offered.ToArray();
        Assert.Equal([all.Id, online.Id], offered.Select(o => o.Norn.Id));
        Assert.Same(offered[0].Event, offered[1].Event);
        var routed = offered[0].Event;
        Assert.Equal("device-status/MAC:11:22:33:44:55:66/online", routed.EventType);
        Assert.Equal(DeviceId.Parse(Device), routed.DeviceId);
        Assert.Equal(TestNorns.T0, routed.ReceivedAt);
        Assert.Equal(1, Metrics.EventsReceived("routed"));
        Assert.Equal(0, Metrics.Drops("expired"));
    }

    [Fact]
    public void An_expired_norn_is_a_drop_with_reason_expired_but_a_filtered_one_is_not()
    {
        Registry.Apply(TestNorns.Http(Device, "https://a.example/1", ttl: TimeSpan.FromMinutes(1)));
        Registry.Apply(TestNorns.Http(Device, "https://a.example/2", ttl: TimeSpan.FromMinutes(1), filter: new NornFilter { Events = ["nope"] }));
        Registry.Apply(TestNorns.Http(Device, "https://a.example/3", ttl: TimeSpan.FromHours(1), filter: new NornFilter { Events = ["nope"] }));
        Time.Advance(TimeSpan.FromMinutes(1));

        var result = Router.Route(Online());

        Assert.Equal(new RouteResult(RouteOutcome.Routed, DeviceId.Parse(Device), 0, 0, Dropped: 1), result);
        Assert.Empty(Sink.Offered);
        Assert.Equal(1, Metrics.Drops("expired"));
    }

    [Theory]
    [InlineData(nameof(EnqueueOutcome.QueueFull))]
    [InlineData(nameof(EnqueueOutcome.CutOff))]
    [InlineData(nameof(EnqueueOutcome.Stopped))]
    public void A_refusal_by_the_sink_is_a_drop_counted_by_the_sink(string outcome)
    {
        Registry.Apply(TestNorns.Http(Device, "https://a.example/1"));
        Sink.Outcome = Enum.Parse<EnqueueOutcome>(outcome);

        var result = Router.Route(Online());

        Assert.Equal((1, 0, 1), (result.Matched, result.Enqueued, result.Dropped));
        Assert.Equal(0, Metrics.Drops("expired"));
    }

    [Fact]
    public void Metadata_filters_see_the_message_metadata()
    {
        var trusted = TestNorns.Http(Device, "https://a.example/1", filter: new NornFilter
        {
            Metadata = new Dictionary<string, string> { ["/trust"] = "1000" },
        });
        var untrusted = TestNorns.Http(Device, "https://a.example/2", filter: new NornFilter
        {
            Metadata = new Dictionary<string, string> { ["/trust"] = "0" },
        });
        Registry.Apply(trusted);
        Registry.Apply(untrusted);

        Router.Route(Online());

        Assert.Equal([trusted.Id], Sink.Offered.Select(o => o.Norn.Id));
    }
}
