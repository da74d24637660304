using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Routing;

public class DeviceIdExtractorTests
{
    private static readonly DeviceIdRule StatusRule = new() { Regex = "^event:device-status/", EventType = DeviceIdRuleType.State };

    private static WrpMessage Event(string source, string dest) => new() { Type = MessageType.SimpleEvent, Source = source, Destination = dest };

    [Fact]
    public void Without_rules_the_device_id_is_the_canonical_source()
    {
        var extractor = new DeviceIdExtractor([]);

        Assert.True(extractor.TryExtract(Event("MAC:11:22:33:44:55:66/config", "event:anything"), out var id));
        Assert.Equal("mac:112233445566", id.ToString());
    }

    [Fact]
    public void A_state_rule_takes_the_second_to_last_segment_of_dest()
    {
        var extractor = new DeviceIdExtractor([StatusRule]);

        Assert.True(extractor.TryExtract(Event("dns:talaria.example", "event:device-status/MAC:11-22-33-44-55-66/online"), out var id));
        Assert.Equal(DeviceId.Parse("mac:112233445566"), id);
        Assert.Equal("mac:112233445566", id.ToString());
    }

    [Fact]
    public void The_first_matching_rule_wins()
    {
        var defaultFirst = new DeviceIdExtractor(
        [
            new DeviceIdRule { Regex = "device-status", EventType = DeviceIdRuleType.Default },
            StatusRule,
        ]);
        var stateFirst = new DeviceIdExtractor(
        [
            StatusRule,
            new DeviceIdRule { Regex = "device-status", EventType = DeviceIdRuleType.Default },
        ]);
        var message = Event("mac:aabbccddeeff/parodus", "event:device-status/mac:112233445566/online");

        Assert.True(defaultFirst.TryExtract(message, out var fromSource));
        Assert.True(stateFirst.TryExtract(message, out var fromDest));

        Assert.Equal("mac:aabbccddeeff", fromSource.ToString());
        Assert.Equal("mac:112233445566", fromDest.ToString());
    }

    [Fact]
    public void A_rule_that_does_not_match_falls_back_to_source()
    {
        var extractor = new DeviceIdExtractor([StatusRule]);

        Assert.True(extractor.TryExtract(Event("uuid:Box-1/svc", "event:other/mac:112233445566/x"), out var id));
        Assert.Equal("uuid:Box-1", id.ToString());
    }

    [Theory]
    [InlineData("event:device-status/online")]
    [InlineData("event:device-status/not-an-id/online")]
    [InlineData("event:device-status/")]
    public void A_state_rule_without_a_device_in_dest_finds_none(string dest)
    {
        var extractor = new DeviceIdExtractor([StatusRule]);

        Assert.False(extractor.TryExtract(Event("mac:112233445566", dest), out _));
    }

    [Fact]
    public void A_source_that_is_no_device_id_finds_none() =>
        Assert.False(new DeviceIdExtractor([]).TryExtract(Event("nonsense", "event:x"), out _));

    [Fact]
    public void Rules_come_from_the_options()
    {
        var options = new MimisbrunnrOptions();
        options.Routing.Rules.Add(StatusRule);

        var extractor = new DeviceIdExtractor(StaticOptionsMonitor.For(options));

        Assert.True(extractor.TryExtract(Event("mac:aabbccddeeff", "event:device-status/mac:112233445566/online"), out var id));
        Assert.Equal("mac:112233445566", id.ToString());
    }

    [Theory]
    [InlineData("event:device-status/mac:112233445566/online", "device-status/mac:112233445566/online")]
    [InlineData("EVENT:node-change", "node-change")]
    [InlineData("mac:112233445566/config", "mac:112233445566/config")]
    [InlineData("", "")]
    public void The_event_type_is_dest_without_the_event_scheme(string dest, string eventType) =>
        Assert.Equal(eventType, DeviceIdExtractor.GetEventType(dest));
}
