using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Management;

public class NornServiceTests
{
    private readonly FakeTimeProvider _time = new(TestNorns.T0);
    private readonly InMemoryNornStore _store = new();
    private readonly MimisbrunnrOptions _options = new();
    private readonly NornRegistry _registry;
    private readonly NornService _service;

    public NornServiceTests()
    {
        _registry = new NornRegistry();
        var monitor = StaticOptionsMonitor.For(_options);
        _service = new NornService(_store, _registry, new NornValidator(monitor), _time, monitor);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The registration these tests make, by <see cref="TestNorns.HttpRequest(string, string, long, string?, string?, string?, NornFilter?)"/>.</summary>
    private static NornRequest Request(string deviceId = TestNorns.Device, string url = "https://consumer.example/hook", long ttl = 3600) =>
        TestNorns.HttpRequest(deviceId, url, ttl, secret: "s3cret");

    [Fact]
    public async Task Create_stores_the_norn_indexes_it_at_once_and_never_returns_the_secret()
    {
        var outcome = await _service.CreateOrUpdateAsync(new("alice"), Request(deviceId: "MAC:11:22:33:44:55:66"), Ct);

        Assert.True(outcome.Created);
        var norn = outcome.Norn;
        Assert.Equal(NornIdentity.Derive("mac:112233445566", "https://consumer.example/hook"), norn.Id);
        Assert.Equal("mac:112233445566", norn.DeviceId);
        Assert.Equal(TestNorns.T0.AddHours(1), norn.ExpiresAt);
        Assert.Equal(TestNorns.T0, norn.CreatedAt);
        Assert.True(norn.Destination.Http!.HasSecret);
        Assert.Equal("s3cret", (await _store.GetAsync(norn.Id, Ct))!.Destination.Http!.Secret);
        Assert.Equal("alice", (await _store.GetAsync(norn.Id, Ct))!.Owner);
        Assert.Single(_registry.GetByDevice(DeviceId.Parse("mac:112233445566")));
    }

    [Fact]
    public async Task Posting_the_same_pair_again_updates_and_keeps_the_creation_time()
    {
        var first = await _service.CreateOrUpdateAsync(new("alice"), Request(), Ct);
        _time.Advance(TimeSpan.FromMinutes(10));

        var second = await _service.CreateOrUpdateAsync(new("alice"), Request(ttl: 60), Ct);

        Assert.False(second.Created);
        Assert.Equal(first.Norn.Id, second.Norn.Id);
        Assert.Equal(TestNorns.T0, second.Norn.CreatedAt);
        Assert.Equal(TestNorns.T0.AddMinutes(11), second.Norn.ExpiresAt);
        Assert.Equal(TestNorns.T0.AddMinutes(11), _registry.Find(first.Norn.Id)!.ExpiresAt);
    }

    [Fact]
    public async Task The_same_pair_by_another_owner_is_a_conflict()
    {
        await _service.CreateOrUpdateAsync(new("alice"), Request(), Ct);

        await Assert.ThrowsAsync<NornConflictException>(async () => await _service.CreateOrUpdateAsync(new("mallory"), Request(), Ct));
        Assert.Equal(1, _registry.Count);
    }

    [Fact]
    public async Task Get_never_reveals_another_owners_norn()
    {
        var id = (await _service.CreateOrUpdateAsync(new("alice"), Request(), Ct)).Norn.Id;

        Assert.NotNull(await _service.GetAsync("alice", id, Ct));
        Assert.Null(await _service.GetAsync("mallory", id, Ct));
        Assert.Null(await _service.GetAsync("alice", NornIdentity.Derive("mac:000000000000", "https://x.example/"), Ct));
        Assert.Null(await _service.GetAsync("alice", "not-an-id", Ct));
    }

    [Fact]
    public async Task An_expired_norn_is_not_found()
    {
        var id = (await _service.CreateOrUpdateAsync(new("alice"), Request(ttl: 60), Ct)).Norn.Id;
        _time.Advance(TimeSpan.FromSeconds(60));

        Assert.Null(await _service.GetAsync("alice", id, Ct));
        Assert.Empty((await _service.ListAsync("alice", cancellationToken: Ct)).Items);
    }

    [Fact]
    public async Task Delete_removes_only_the_owners_norn_from_store_and_index()
    {
        var id = (await _service.CreateOrUpdateAsync(new("alice"), Request(), Ct)).Norn.Id;

        Assert.False(await _service.DeleteAsync("mallory", id, Ct));
        Assert.NotNull(_registry.Find(id));
        Assert.True(await _service.DeleteAsync("alice", id, Ct));
        Assert.Null(_registry.Find(id));
        Assert.Null(await _store.GetAsync(id, Ct));
        Assert.False(await _service.DeleteAsync("alice", id, Ct));
        Assert.False(await _service.DeleteAsync("alice", "../x", Ct));
    }

    [Fact]
    public async Task Put_updates_the_owners_norn()
    {
        var id = (await _service.CreateOrUpdateAsync(new("alice"), Request(), Ct)).Norn.Id;
        _time.Advance(TimeSpan.FromMinutes(1));
        var body = Request(ttl: 120) with
        {
            Filter = new NornFilter { Events = ["online$"] },
        };

        var updated = await _service.UpdateAsync(new("alice"), id, body, Ct);

        Assert.NotNull(updated);
        Assert.Equal(TestNorns.T0.AddMinutes(3), updated.ExpiresAt);
        Assert.Equal(["online$"], updated.Filter!.Events);
        Assert.False(_registry.Find(id)!.Matches("offline", null));
    }

    [Fact]
    public async Task Put_of_a_missing_or_foreign_norn_is_not_found()
    {
        var id = (await _service.CreateOrUpdateAsync(new("alice"), Request(), Ct)).Norn.Id;

        Assert.Null(await _service.UpdateAsync(new("mallory"), id, Request(), Ct));
        Assert.Null(await _service.UpdateAsync(new("alice"), NornIdentity.Derive("mac:000000000000", "https://x.example/"), Request(), Ct));
        Assert.Equal("alice", (await _store.GetAsync(id, Ct))!.Owner);
    }

    [Fact]
    public async Task Put_cannot_change_the_device_or_the_destination()
    {
        var id = (await _service.CreateOrUpdateAsync(new("alice"), Request(), Ct)).Norn.Id;

        var destination = await Assert.ThrowsAsync<NornValidationException>(
            async () => await _service.UpdateAsync(new("alice"), id, Request(url: "https://consumer.example/other"), Ct));
        var device = await Assert.ThrowsAsync<NornValidationException>(
            async () => await _service.UpdateAsync(new("alice"), id, Request(deviceId: "mac:665544332211"), Ct));

        Assert.Equal(("destination", "immutable"), (destination.Field, destination.Rule));
        Assert.Equal(("deviceId", "immutable"), (device.Field, device.Rule));
        Assert.Equal(1, _registry.Count);
    }

    [Fact]
    public async Task Put_validates_the_body_like_post()
    {
        var id = (await _service.CreateOrUpdateAsync(new("alice"), Request(), Ct)).Norn.Id;

        var error = await Assert.ThrowsAsync<NornValidationException>(
            async () => await _service.UpdateAsync(new("alice"), id, Request(ttl: 0), Ct));

        Assert.Equal("ttl", error.Field);
    }

    [Fact]
    public async Task The_owner_quota_is_enforced_on_create()
    {
        _options.Quotas.MaxNornsPerOwner = 2;
        await _service.CreateOrUpdateAsync(new("alice"), Request(url: "https://a.example/1"), Ct);
        await _service.CreateOrUpdateAsync(new("alice"), Request(url: "https://a.example/2"), Ct);

        var error = await Assert.ThrowsAsync<NornQuotaExceededException>(
            async () => await _service.CreateOrUpdateAsync(new("alice"), Request(url: "https://a.example/3"), Ct));
        var update = await _service.CreateOrUpdateAsync(new("alice"), Request(url: "https://a.example/2", ttl: 10), Ct);

        Assert.Equal("perOwner", error.Quota);
        Assert.False(update.Created);
        Assert.Equal(2, _registry.Count);
    }

    [Fact]
    public async Task The_device_quota_is_enforced_on_create()
    {
        // Per owner and device: another owner's norns on the device do not count.
        _options.Quotas.MaxNornsPerDevice = 1;
        await _service.CreateOrUpdateAsync(new("alice"), Request(url: "https://a.example/1"), Ct);
        await _service.CreateOrUpdateAsync(new("bob"), Request(url: "https://a.example/3"), Ct);

        var error = await Assert.ThrowsAsync<NornQuotaExceededException>(
            async () => await _service.CreateOrUpdateAsync(new("alice"), Request(url: "https://a.example/2"), Ct));

        Assert.Equal("perDevice", error.Quota);
    }

    [Fact]
    public async Task List_pages_and_filters_by_any_spelling_of_the_device()
    {
        for (var i = 0; i < 5; i++)
        {
            await _service.CreateOrUpdateAsync(new("alice"), Request(url: $"https://a.example/{i}"), Ct);
        }

        await _service.CreateOrUpdateAsync(new("alice"), Request(deviceId: "mac:665544332211"), Ct);
        await _service.CreateOrUpdateAsync(new("bob"), Request(url: "https://b.example/"), Ct);

        var first = await _service.ListAsync("alice", "MAC:11-22-33-44-55-66/service", limit: 3, cancellationToken: Ct);
        var second = await _service.ListAsync("alice", "mac:112233445566", first.NextAfter, 3, Ct);
        var all = await _service.ListAsync("alice", cancellationToken: Ct);

        Assert.Equal(3, first.Items.Count);
        Assert.NotNull(first.NextAfter);
        Assert.Equal(2, second.Items.Count);
        Assert.Null(second.NextAfter);
        Assert.All(first.Items.Concat(second.Items), n => Assert.Equal("mac:112233445566", n.DeviceId));
        Assert.Equal(6, all.Items.Count);
    }

    [Theory]
    [InlineData(0, null, null, "limit")]
    [InlineData(1001, null, null, "limit")]
    [InlineData(10, "mac:12", null, "deviceId")]
    [InlineData(10, null, "zz", "after")]
    public async Task List_arguments_are_validated(int limit, string? deviceId, string? after, string field)
    {
        var error = await Assert.ThrowsAsync<NornValidationException>(
            async () => await _service.ListAsync("alice", deviceId, after, limit, Ct));

        Assert.Equal(field, error.Field);
    }

    [Fact]
    public async Task A_gone_destination_removes_the_norn_from_the_store_as_the_system_and_from_the_index()
    {
        var created = await _service.CreateOrUpdateAsync(new("alice"), Request(), Ct);

        await ((Mimisbrunnr.Dispatch.INornRemoval)_service).RemoveGoneAsync(created.Norn.Id, Ct);

        Assert.Null(await _store.GetAsync(created.Norn.Id, Ct));
        Assert.Null(_registry.Find(created.Norn.Id));
    }
}
