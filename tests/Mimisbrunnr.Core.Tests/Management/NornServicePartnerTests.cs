using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Tests.Management;

/// <summary>Partner ids and the one identity of a device and destination, at the norn service.</summary>
public sealed class NornServicePartnerTests
{
    private readonly FakeTimeProvider _time = new(TestNorns.T0);
    private readonly InMemoryNornStore _store = new();
    private readonly NornRegistry _registry = new();
    private readonly NornService _service;

    public NornServicePartnerTests()
    {
        var options = StaticOptionsMonitor.For(new MimisbrunnrOptions());
        _service = new NornService(_store, _registry, new NornValidator(options), _time, options);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NornRequest Request(string deviceId = "mac:112233445566", string url = "https://consumer.example/hook") => new()
    {
        DeviceId = deviceId,
        Ttl = 3600,
        Destination = new DestinationRequest { Http = new HttpDestinationRequest { Url = url } },
    };

    [Fact]
    public async Task A_norn_takes_the_callers_partner_ids_distinct_and_trimmed()
    {
        var outcome = await _service.CreateOrUpdateAsync(new NornCaller("alice", ["sky", " comcast ", "sky", ""]), Request(), Ct);

        Assert.Equal(["sky", "comcast"], outcome.Norn.PartnerIds);
        Assert.Equal(["sky", "comcast"], _registry.Find(outcome.Norn.Id)!.Norn.PartnerIds);
        Assert.Equal(["sky", "comcast"], (await _store.GetAsync(outcome.Norn.Id, Ct))!.PartnerIds);
    }

    [Theory]
    [InlineData("")]
    [InlineData(",  ")]
    public async Task A_caller_without_partner_ids_cannot_register_while_they_are_enforced(string listed)
    {
        var partners = listed.Split(',');
        var error = await Assert.ThrowsAsync<NornValidationException>(
            () => _service.CreateOrUpdateAsync(new NornCaller("alice", partners), Request(), Ct));

        Assert.Equal(("partnerIds", "required"), (error.Field, error.Rule));
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public async Task Without_enforcement_a_norn_carries_no_partner_ids()
    {
        var outcome = await _service.CreateOrUpdateAsync(new NornCaller("alice"), Request(), Ct);

        Assert.Null(outcome.Norn.PartnerIds);
        Assert.Null(_registry.Find(outcome.Norn.Id)!.Norn.PartnerIds);
    }

    [Fact]
    public async Task An_update_refreshes_the_partner_ids_from_the_caller()
    {
        var created = await _service.CreateOrUpdateAsync(new NornCaller("alice", ["sky"]), Request(), Ct);

        var updated = await _service.UpdateAsync(new NornCaller("alice", ["comcast"]), created.Norn.Id, Request(), Ct);
        var again = await _service.CreateOrUpdateAsync(new NornCaller("alice", ["*"]), Request(), Ct);

        Assert.Equal(["comcast"], updated!.PartnerIds);
        Assert.Equal(["*"], again.Norn.PartnerIds);
        Assert.False(again.Created);
    }

    [Theory]
    [InlineData("uuid:ABC", "https://consumer.example/hook", "UUID:abc", "https://consumer.example/hook")]
    [InlineData("mac:112233445566", "http://h.example/hook", "MAC:11:22:33:44:55:66", "HTTP://H.EXAMPLE:80/hook")]
    [InlineData("serial:X1", "https://h.example", "serial:x1", "https://h.example:443/")]
    public async Task Spellings_that_route_together_are_one_norn(string device, string url, string otherDevice, string otherUrl)
    {
        var first = await _service.CreateOrUpdateAsync(new NornCaller("alice", ["p"]), Request(device, url), Ct);

        var same = await _service.CreateOrUpdateAsync(new NornCaller("alice", ["p"]), Request(otherDevice, otherUrl), Ct);
        var conflict = await Assert.ThrowsAsync<NornConflictException>(
            () => _service.CreateOrUpdateAsync(new NornCaller("bob", ["p"]), Request(otherDevice, otherUrl), Ct));

        Assert.True(first.Created);
        Assert.False(same.Created);
        Assert.Equal(first.Norn.Id, same.Norn.Id);
        Assert.Equal(1, _store.Count);
        Assert.Single(_registry.GetByDevice(Mimisbrunnr.Wrp.DeviceId.Parse(otherDevice)));
        Assert.Contains("another owner", conflict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Urls_are_stored_in_their_normalised_form()
    {
        var outcome = await _service.CreateOrUpdateAsync(
            new NornCaller("alice", ["p"]),
            Request(url: "HTTPS://Consumer.Example:443/Hook?Q=1") with
            {
                Destination = new DestinationRequest
                {
                    Http = new HttpDestinationRequest { Url = "HTTPS://Consumer.Example:443/Hook?Q=1", FailureUrl = "https://CONSUMER.example:443" },
                },
            },
            Ct);

        Assert.Equal("https://consumer.example/Hook?Q=1", outcome.Norn.Destination.Http!.Url);
        Assert.Equal("https://consumer.example/", outcome.Norn.Destination.Http.FailureUrl);
        Assert.Equal(NornIdentity.Derive("mac:112233445566", "https://consumer.example/Hook?Q=1"), outcome.Norn.Id);
    }

    [Fact]
    public async Task A_host_name_longer_than_dns_allows_is_a_validation_error()
    {
        var error = await Assert.ThrowsAsync<NornValidationException>(() => _service.CreateOrUpdateAsync(
            new NornCaller("alice", ["p"]), Request(url: $"https://{new string('a', 63)}.{new string('b', 63)}.{new string('c', 63)}.{new string('d', 63)}.example/"), Ct));

        Assert.Equal(("destination.http.url", "hostLength"), (error.Field, error.Rule));
    }

    [Fact]
    public async Task A_host_name_without_an_ascii_form_is_a_validation_error_not_a_crash()
    {
        // Found by the fuzz test: "127\u07C60.0.1" parses as a URL, but asking for its punycode form throws.
        var error = await Assert.ThrowsAsync<NornValidationException>(() => _service.CreateOrUpdateAsync(
            new NornCaller("alice", ["p"]), Request(url: "http://127\u07C60.0.1:8080/fuzz"), Ct));

        Assert.Equal(("destination.http.url", "host"), (error.Field, error.Rule));
    }
}
