using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Testing;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>
/// Items written by an earlier version (ids from the device id and the URL as written) keep their ids until the norn is
/// written again under its current id, which moves it there; and documents with partner ids are read with them.
/// </summary>
public sealed class ArgusLegacyItemTests : IAsyncLifetime
{
    private const string LegacyDevice = "uuid:ABC-1";
    private const string LegacyUrl = "HTTPS://Consumer.Example:443/hook";
    private const string CurrentUrl = "https://consumer.example/hook";

    private readonly string _bucket = Stores.NewBucket();
    private readonly List<ArgusNornStore> _stores = [];
    private ArgusDouble _argus = null!;
    private HttpClient _http = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NornQuotas Quotas => new(MaxPerOwner: 10, MaxPerDevice: 10);

    public async ValueTask InitializeAsync()
    {
        _argus = await ArgusDouble.StartAsync();
        _http = new HttpClient { BaseAddress = _argus.Address };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        _http.Dispose();
        await _argus.DisposeAsync();
    }

    [Fact]
    public async Task A_legacy_item_keeps_its_id_until_its_owner_writes_the_norn_again_which_moves_it_to_the_current_id()
    {
        var logs = new FakeLogCollector();
        var store = Store(new FakeLogger<ArgusNornStore>(logs));
        await using var feed = await FeedRecorder.StartAsync(store);
        var legacy = Legacy("alice", DateTimeOffset.UtcNow.AddMinutes(-10));
        await PutItemAsync(legacy);
        await feed.WaitForAsync(c => c.Kind == NornChangeKind.Upserted && c.Id == legacy.Id, "the legacy item");

        // Meanwhile it is the norn, under its old id.
        Assert.Equal(legacy.Id, (await store.GetAsync(legacy.Id, Ct))!.Id);
        Assert.Equal([legacy.Id], (await LoadActiveAsync(store)).Select(n => n.Id));

        var renewal = Current("alice", DateTimeOffset.UtcNow);
        var result = await store.UpsertAsync(renewal, Quotas, Ct);

        Assert.Equal(NornWriteStatus.Updated, result.Status);
        Assert.Equal(legacy.CreatedAt, result.Norn!.CreatedAt);
        Assert.Null(await store.GetAsync(legacy.Id, Ct));
        Assert.Equal(renewal.UpdatedAt, (await store.GetAsync(renewal.Id, Ct))!.UpdatedAt);
        Assert.Equal(1, _argus.ItemCount(_bucket));
        await feed.WaitForAsync(c => c.Kind == NornChangeKind.Deleted && c.Id == legacy.Id, "the legacy item deleted");
        Assert.Contains(feed.Changes, c => c.Kind == NornChangeKind.Upserted && c.Id == renewal.Id);
        var line = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 1015);
        Assert.Equal(legacy.Id, line.GetStructuredStateValue("OldId"));
        Assert.Equal(renewal.Id, line.GetStructuredStateValue("Id"));
    }

    [Fact]
    public async Task A_live_legacy_item_of_another_owner_makes_a_write_of_the_norn_a_conflict_and_stays()
    {
        var store = Store();
        await using var feed = await FeedRecorder.StartAsync(store);
        var legacy = Legacy("alice", DateTimeOffset.UtcNow.AddMinutes(-10));
        await PutItemAsync(legacy);
        await feed.WaitForAsync(c => c.Kind == NornChangeKind.Upserted && c.Id == legacy.Id, "the legacy item");

        var result = await store.UpsertAsync(Current("mallory", DateTimeOffset.UtcNow), Quotas, Ct);

        Assert.Equal(NornWriteStatus.Conflict, result.Status);
        Assert.Equal("alice", (await store.GetAsync(legacy.Id, Ct))!.Owner);
        Assert.Equal(1, _argus.ItemCount(_bucket));
    }

    [Fact]
    public async Task An_expired_legacy_item_is_replaced_by_a_create_and_deleted()
    {
        var store = Store();
        await using var feed = await FeedRecorder.StartAsync(store);
        var legacy = Legacy("alice", DateTimeOffset.UtcNow.AddHours(-2)); // expired an hour ago; Argus keeps it for its ttl
        await PutItemAsync(legacy);
        await feed.WaitForAsync(c => c.Kind == NornChangeKind.Upserted && c.Id == legacy.Id, "the legacy item");

        var result = await store.UpsertAsync(Current("bob", DateTimeOffset.UtcNow), Quotas, Ct);

        Assert.Equal(NornWriteStatus.Created, result.Status);
        Assert.Equal("bob", (await store.GetAsync(result.Norn!.Id, Ct))!.Owner);
        Assert.Null(await store.GetAsync(legacy.Id, Ct));
        Assert.Equal(1, _argus.ItemCount(_bucket));
    }

    [Fact]
    public async Task Without_a_view_of_the_bucket_a_write_leaves_legacy_items_alone()
    {
        // No feed, unlimited quotas: this instance has not listed the bucket, so it knows of no twin.
        var store = Store();
        var legacy = Legacy("alice", DateTimeOffset.UtcNow.AddMinutes(-10));
        await PutItemAsync(legacy);

        var result = await store.UpsertAsync(Current("alice", DateTimeOffset.UtcNow), NornQuotas.Unlimited, Ct);

        Assert.Equal(NornWriteStatus.Created, result.Status);
        Assert.NotNull(await store.GetAsync(legacy.Id, Ct));
        Assert.Equal(2, _argus.ItemCount(_bucket));
    }

    [Fact]
    public async Task Items_with_partner_ids_from_another_client_are_read_with_them_and_reported_once()
    {
        var store = Store();
        await using var feed = await FeedRecorder.StartAsync(store);
        var norn = Current("alice", DateTimeOffset.UtcNow) with { PartnerIds = ["sky-uk", "comcast", "*"] };

        await PutItemAsync(norn);
        var index = await feed.WaitForAsync(c => c.Kind == NornChangeKind.Upserted && c.Id == norn.Id, "the norn with partner ids");
        var polled = store.LastPollSucceededAt;
        var marker = Current("bob", DateTimeOffset.UtcNow) with
        {
            Id = NornIdentity.Derive("mac:112233445566", CurrentUrl),
            DeviceId = "mac:112233445566",
        };
        await PutItemAsync(marker);
        await feed.WaitForAsync(c => c.Id == marker.Id, "the marker written after the norn was polled");
        await Eventually.TrueAsync(() => store.LastPollSucceededAt > polled, "one more poll");

        Assert.Equal(["sky-uk", "comcast", "*"], feed.Changes[index].Norn!.PartnerIds);
        Assert.Equal(["sky-uk", "comcast", "*"], (await store.GetAsync(norn.Id, Ct))!.PartnerIds);
        Assert.Equal(["sky-uk", "comcast", "*"], (await LoadActiveAsync(store)).Single(n => n.Id == norn.Id).PartnerIds);
        Assert.Single(feed.Changes, c => c.Id == norn.Id);
    }

    /// <summary>A norn as an earlier version wrote it: the id from the device id and the URL exactly as written.</summary>
    private static Norn Legacy(string owner, DateTimeOffset updatedAt) => new()
    {
        Id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(LegacyDevice + "\n" + LegacyUrl))),
        DeviceId = LegacyDevice,
        Owner = owner,
        Destination = new NornDestination { Http = new HttpDestination { Url = LegacyUrl, Secret = "s" } },
        ExpiresAt = updatedAt.AddHours(1),
        CreatedAt = updatedAt.AddMinutes(-30),
        UpdatedAt = updatedAt,
    };

    /// <summary>The same device and destination, as this version writes it.</summary>
    private static Norn Current(string owner, DateTimeOffset now) => new()
    {
        Id = NornIdentity.Derive(LegacyDevice, CurrentUrl),
        DeviceId = LegacyDevice,
        Owner = owner,
        Destination = new NornDestination { Http = new HttpDestination { Url = CurrentUrl, Secret = "s2" } },
        ExpiresAt = now.AddHours(1),
        CreatedAt = now,
        UpdatedAt = now,
    };

    private ArgusNornStore Store(FakeLogger<ArgusNornStore>? logger = null)
    {
        var store = Stores.Create(_argus, _bucket, logger: logger);
        _stores.Add(store);
        return store;
    }

    private static async Task<List<Norn>> LoadActiveAsync(INornStore store)
    {
        var norns = new List<Norn>();
        await foreach (var norn in store.LoadActiveAsync(DateTimeOffset.UtcNow, Ct))
        {
            norns.Add(norn);
        }

        return norns;
    }

    /// <summary>Writes an item straight into the bucket, its data the norn document as the store writes it.</summary>
    private async Task PutItemAsync(Norn norn)
    {
        var item = new JsonObject
        {
            ["id"] = norn.Id,
            ["data"] = JsonNode.Parse(ArgusItems.SerializeNorn(norn)),
            ["ttl"] = 3 * 3600,
        };
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/store/{_bucket}/{norn.Id}");
        request.Headers.Add("X-Xmidt-Owner", Stores.Owner);
        request.Content = new StringContent(item.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await _http.SendAsync(request, Ct);
        Assert.True(response.IsSuccessStatusCode, $"PUT: {(int)response.StatusCode}");
    }
}
