using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Testing.Storage;

/// <summary>
/// The behaviour every <see cref="INornStore"/> must have, written once. A store's test project derives from this
/// class and supplies a fresh, isolated store per test (xunit creates one instance per test).
/// </summary>
public abstract class NornStoreContractTests : IAsyncLifetime
{
    /// <summary>A fixed "now" for the tests; stores judge expiry by the time the caller gives them.</summary>
    protected static readonly DateTimeOffset T0 = TestNorns.T0;

    private INornStore? _store;

    /// <summary>The store under test (fresh for each test).</summary>
    protected INornStore Store => _store ?? throw new InvalidOperationException("The store is not created yet.");

    /// <summary>The test's cancellation token.</summary>
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Creates an empty store that no other test uses.</summary>
    /// <returns>The store.</returns>
    protected abstract ValueTask<INornStore> CreateStoreAsync();

    /// <summary>Disposes a store made by <see cref="CreateStoreAsync"/>; by default through its dispose interfaces.</summary>
    /// <param name="store">The store.</param>
    /// <returns>A task.</returns>
    protected virtual async ValueTask DisposeStoreAsync(INornStore store)
    {
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>
    /// Waits until a change feed subscription that has started reading is live. In-process feeds are live at once;
    /// a store whose feed subscribes over the network (LISTEN) overrides this.
    /// </summary>
    /// <returns>A task.</returns>
    protected virtual Task WhenSubscribedAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public async ValueTask InitializeAsync() => _store = await CreateStoreAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await DisposeStoreAsync(_store);
        }

        GC.SuppressFinalize(this);
    }

    private static string Url(int i) => $"https://consumer.example/hook/{i}";

    private async Task<Norn> CreateAsync(Norn norn, NornQuotas? quotas = null)
    {
        var result = await Store.UpsertAsync(norn, quotas ?? NornQuotas.Unlimited, Ct);
        Assert.Equal(NornWriteStatus.Created, result.Status);
        Assert.NotNull(result.Norn);
        return result.Norn;
    }

    [Fact]
    public async Task Create_stores_the_norn_and_get_returns_it_with_every_field()
    {
        var norn = TestNorns.Http("mac:112233445566", Url(1), owner: "alice", secret: "s3cret") with
        {
            Filter = new NornFilter
            {
                Events = ["^device-status/.*/online$", "reboot"],
                Metadata = new Dictionary<string, string> { ["/trust"] = "1000", ["/boot-time"] = "x" },
            },
        };

        await CreateAsync(norn);
        var stored = await Store.GetAsync(norn.Id, Ct);

        Assert.NotNull(stored);
        Assert.Equal(norn.Id, stored.Id);
        Assert.Equal(norn.DeviceId, stored.DeviceId);
        Assert.Equal(norn.Owner, stored.Owner);
        Assert.Equal(norn.Destination, stored.Destination);
        Assert.Equal(norn.ExpiresAt, stored.ExpiresAt);
        Assert.Equal(norn.CreatedAt, stored.CreatedAt);
        Assert.Equal(norn.UpdatedAt, stored.UpdatedAt);
        Assert.Equal(norn.Filter!.Events, stored.Filter!.Events);
        Assert.Equal(
            norn.Filter.Metadata!.OrderBy(p => p.Key, StringComparer.Ordinal),
            stored.Filter.Metadata!.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_sqs_norn_round_trips_with_its_credentials()
    {
        const string Queue = "https://sqs.us-east-1.amazonaws.com/123456789012/events";
        var norn = TestNorns.Sqs(
            "uuid:Abc-123",
            new SqsDestination
            {
                QueueUrl = Queue,
                Region = "us-east-1",
                DelaySeconds = 30,
                AccessKeyId = "AKIA0000",
                SecretAccessKey = "secret",
                SessionToken = "token",
            },
            owner: "alice");

        await CreateAsync(norn);

        Assert.Equal(norn.Destination, (await Store.GetAsync(norn.Id, Ct))!.Destination);
    }

    [Fact]
    public async Task Get_of_an_unknown_id_returns_null() =>
        Assert.Null(await Store.GetAsync(NornIdentity.Derive("mac:000000000000", Url(0)), Ct));

    [Fact]
    public async Task Upsert_by_the_owner_updates_and_keeps_CreatedAt()
    {
        var first = await CreateAsync(TestNorns.Http("mac:112233445566", Url(1), owner: "alice"));
        var later = T0.AddMinutes(5);
        var update = TestNorns.Http("mac:112233445566", Url(1), owner: "alice", now: later, ttl: TimeSpan.FromHours(2)) with
        {
            Destination = new NornDestination { Http = new HttpDestination { Url = Url(1), Secret = "rotated" } },
        };

        var result = await Store.UpsertAsync(update, NornQuotas.Unlimited, Ct);

        Assert.Equal(NornWriteStatus.Updated, result.Status);
        Assert.Equal(first.CreatedAt, result.Norn!.CreatedAt);
        var stored = (await Store.GetAsync(first.Id, Ct))!;
        Assert.Equal(first.CreatedAt, stored.CreatedAt);
        Assert.Equal(later, stored.UpdatedAt);
        Assert.Equal(later.AddHours(2), stored.ExpiresAt);
        Assert.Equal("rotated", stored.Destination.Http!.Secret);
    }

    [Fact]
    public async Task Upsert_of_a_live_norn_by_another_owner_is_a_conflict_and_writes_nothing()
    {
        var original = await CreateAsync(TestNorns.Http("mac:112233445566", Url(1), owner: "alice"));

        var result = await Store.UpsertAsync(
            TestNorns.Http("mac:112233445566", Url(1), owner: "mallory", now: T0.AddMinutes(1)), NornQuotas.Unlimited, Ct);

        Assert.Equal(NornWriteStatus.Conflict, result.Status);
        Assert.Null(result.Norn);
        var stored = (await Store.GetAsync(original.Id, Ct))!;
        Assert.Equal("alice", stored.Owner);
        Assert.Equal(T0, stored.UpdatedAt);
    }

    [Fact]
    public async Task An_expired_norn_of_another_owner_is_replaced_as_if_absent()
    {
        var old = await CreateAsync(TestNorns.Http("mac:112233445566", Url(1), owner: "alice", ttl: TimeSpan.FromMinutes(1)));
        var later = T0.AddMinutes(2);

        var result = await Store.UpsertAsync(TestNorns.Http("mac:112233445566", Url(1), owner: "bob", now: later), NornQuotas.Unlimited, Ct);

        Assert.Equal(NornWriteStatus.Created, result.Status);
        var stored = (await Store.GetAsync(old.Id, Ct))!;
        Assert.Equal("bob", stored.Owner);
        Assert.Equal(later, stored.CreatedAt);
    }

    [Fact]
    public async Task Delete_with_an_owner_deletes_only_that_owners_norn()
    {
        var norn = await CreateAsync(TestNorns.Http("mac:112233445566", Url(1), owner: "alice"));

        Assert.False(await Store.DeleteAsync(norn.Id, "mallory", Ct));
        Assert.NotNull(await Store.GetAsync(norn.Id, Ct));
        Assert.True(await Store.DeleteAsync(norn.Id, "alice", Ct));
        Assert.Null(await Store.GetAsync(norn.Id, Ct));
        Assert.False(await Store.DeleteAsync(norn.Id, "alice", Ct));
    }

    [Fact]
    public async Task A_system_delete_ignores_the_owner()
    {
        var norn = await CreateAsync(TestNorns.Http("mac:112233445566", Url(1), owner: "alice"));

        Assert.True(await Store.DeleteAsync(norn.Id, owner: null, Ct));
        Assert.Null(await Store.GetAsync(norn.Id, Ct));
        Assert.False(await Store.DeleteAsync(norn.Id, owner: null, Ct));
    }

    [Fact]
    public async Task List_pages_through_an_owners_norns_in_ascending_id_order()
    {
        for (var i = 0; i < 25; i++)
        {
            await CreateAsync(TestNorns.Http(TestNorns.Mac(i), Url(i), owner: "alice"));
            await CreateAsync(TestNorns.Http(TestNorns.Mac(i), Url(1000 + i), owner: "bob"));
        }

        var seen = new List<string>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await Store.ListAsync(new NornQuery("alice", null, after, 10, T0), Ct);
            Assert.InRange(page.Items.Count, 1, 10);
            Assert.All(page.Items, n => Assert.Equal("alice", n.Owner));
            seen.AddRange(page.Items.Select(n => n.Id));
            after = page.NextAfter;
            if (after is not null)
            {
                Assert.Equal(page.Items[^1].Id, after);
            }

            pages++;
        }
        while (after is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(25, seen.Count);
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
        Assert.Equal(25, seen.Distinct().Count());
    }

    [Fact]
    public async Task List_of_an_exactly_full_page_says_there_is_no_more()
    {
        for (var i = 0; i < 3; i++)
        {
            await CreateAsync(TestNorns.Http(TestNorns.Mac(i), Url(i), owner: "alice"));
        }

        var page = await Store.ListAsync(new NornQuery("alice", null, null, 3, T0), Ct);

        Assert.Equal(3, page.Items.Count);
        Assert.Null(page.NextAfter);
        Assert.Empty((await Store.ListAsync(new NornQuery("nobody", null, null, 3, T0), Ct)).Items);
    }

    [Fact]
    public async Task List_filters_by_device_ignoring_case()
    {
        await CreateAsync(TestNorns.Http("uuid:AbC-1", Url(1), owner: "alice"));
        await CreateAsync(TestNorns.Http("uuid:AbC-1", Url(2), owner: "alice"));
        await CreateAsync(TestNorns.Http("uuid:other", Url(3), owner: "alice"));

        var page = await Store.ListAsync(new NornQuery("alice", "uuid:abc-1", null, 100, T0), Ct);

        Assert.Equal(2, page.Items.Count);
        Assert.All(page.Items, n => Assert.Equal("uuid:AbC-1", n.DeviceId));
    }

    [Fact]
    public async Task Expired_norns_are_left_out_of_List_and_LoadActive()
    {
        var live = await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice", ttl: TimeSpan.FromHours(1)));
        var expiring = await CreateAsync(TestNorns.Http(TestNorns.Mac(2), Url(2), owner: "alice", ttl: TimeSpan.FromMinutes(1)));
        var now = T0.AddMinutes(1); // exactly at expiresAt: expired

        var listed = (await Store.ListAsync(new NornQuery("alice", null, null, 100, now), Ct)).Items.Select(n => n.Id);
        var active = new List<string>();
        await foreach (var norn in Store.LoadActiveAsync(now, Ct))
        {
            active.Add(norn.Id);
        }

        Assert.Equal([live.Id], listed);
        Assert.Equal([live.Id], active);
        Assert.NotNull(await Store.GetAsync(expiring.Id, Ct)); // Get still returns an expired norn until it is swept
    }

    [Fact]
    public async Task DeleteExpired_returns_the_ids_it_deleted_and_is_idempotent()
    {
        var a = await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice", ttl: TimeSpan.FromMinutes(1)));
        var b = await CreateAsync(TestNorns.Http(TestNorns.Mac(2), Url(2), owner: "bob", ttl: TimeSpan.FromMinutes(2)));
        var c = await CreateAsync(TestNorns.Http(TestNorns.Mac(3), Url(3), owner: "alice", ttl: TimeSpan.FromHours(1)));

        var first = await Store.DeleteExpiredAsync(T0.AddMinutes(2), Ct);
        var second = await Store.DeleteExpiredAsync(T0.AddMinutes(2), Ct);

        Assert.Equal(new[] { a.Id, b.Id }.Order(StringComparer.Ordinal), first.Order(StringComparer.Ordinal));
        Assert.Empty(second);
        Assert.Null(await Store.GetAsync(a.Id, Ct));
        Assert.Null(await Store.GetAsync(b.Id, Ct));
        Assert.NotNull(await Store.GetAsync(c.Id, Ct));
    }

    [Fact]
    public async Task The_owner_quota_applies_to_creates_only()
    {
        var quotas = new NornQuotas(MaxPerOwner: 2, MaxPerDevice: 100);
        await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice"), quotas);
        await CreateAsync(TestNorns.Http(TestNorns.Mac(2), Url(2), owner: "alice"), quotas);

        var third = await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(3), Url(3), owner: "alice"), quotas, Ct);
        var written = await Store.GetAsync(NornIdentity.Derive(TestNorns.Mac(3), Url(3)), Ct);
        var update = await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice", now: T0.AddMinutes(1)), quotas, Ct);
        var otherOwner = await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(3), Url(3), owner: "bob"), quotas, Ct);

        Assert.Equal(NornWriteStatus.OwnerQuotaExceeded, third.Status);
        Assert.Null(third.Norn);
        Assert.Null(written);
        Assert.Equal(NornWriteStatus.Updated, update.Status);
        Assert.Equal(NornWriteStatus.Created, otherOwner.Status);
    }

    [Fact]
    public async Task The_device_quota_applies_to_creates_only_and_ignores_the_case_of_the_device()
    {
        var quotas = new NornQuotas(MaxPerOwner: 100, MaxPerDevice: 2);
        await CreateAsync(TestNorns.Http("uuid:Dev", Url(1), owner: "alice"), quotas);
        await CreateAsync(TestNorns.Http("uuid:DEV", Url(2), owner: "alice"), quotas);

        var third = await Store.UpsertAsync(TestNorns.Http("uuid:dev", Url(3), owner: "alice"), quotas, Ct);
        var update = await Store.UpsertAsync(TestNorns.Http("uuid:DEV", Url(2), owner: "alice", now: T0.AddMinutes(1)), quotas, Ct);
        var otherDevice = await Store.UpsertAsync(TestNorns.Http("uuid:other", Url(3), owner: "alice"), quotas, Ct);

        Assert.Equal(NornWriteStatus.DeviceQuotaExceeded, third.Status);
        Assert.Null(third.Norn);
        Assert.Null(await Store.GetAsync(NornIdentity.Derive("uuid:dev", Url(3)), Ct));
        Assert.Equal(NornWriteStatus.Updated, update.Status);
        Assert.Equal(NornWriteStatus.Created, otherDevice.Status);
    }

    [Fact]
    public async Task The_device_quota_counts_the_owners_norns_on_the_device_not_other_owners()
    {
        var quotas = new NornQuotas(MaxPerOwner: 100, MaxPerDevice: 2);

        // Bob fills the device up to his quota; that leaves Alice's quota on it untouched.
        await CreateAsync(TestNorns.Http("uuid:Shared", Url(1), owner: "bob"), quotas);
        await CreateAsync(TestNorns.Http("uuid:shared", Url(2), owner: "bob"), quotas);
        var bobsThird = await Store.UpsertAsync(TestNorns.Http("uuid:SHARED", Url(3), owner: "bob"), quotas, Ct);
        await CreateAsync(TestNorns.Http("uuid:shared", Url(4), owner: "alice"), quotas);
        await CreateAsync(TestNorns.Http("uuid:Shared", Url(5), owner: "alice"), quotas);
        var alicesThird = await Store.UpsertAsync(TestNorns.Http("uuid:SHARED", Url(6), owner: "alice"), quotas, Ct);
        await CreateAsync(TestNorns.Http("uuid:shared", Url(7), owner: "carol"), quotas);

        Assert.Equal(NornWriteStatus.DeviceQuotaExceeded, bobsThird.Status);
        Assert.Equal(NornWriteStatus.DeviceQuotaExceeded, alicesThird.Status);
        Assert.Null(await Store.GetAsync(NornIdentity.Derive("uuid:SHARED", Url(6)), Ct));
        Assert.Equal(2, (await Store.ListAsync(new NornQuery("bob", "uuid:shared", null, 100, T0), Ct)).Items.Count);
        Assert.Equal(2, (await Store.ListAsync(new NornQuery("alice", "uuid:shared", null, 100, T0), Ct)).Items.Count);
    }

    [Fact]
    public async Task The_device_quota_frees_a_slot_when_one_of_the_owners_norns_on_the_device_is_deleted()
    {
        var quotas = new NornQuotas(MaxPerOwner: 100, MaxPerDevice: 1);
        var first = await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice"), quotas);
        await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(2), owner: "bob"), quotas);
        var refused = await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(1), Url(3), owner: "alice"), quotas, Ct);

        Assert.True(await Store.DeleteAsync(first.Id, "alice", Ct));
        var accepted = await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(1), Url(3), owner: "alice"), quotas, Ct);

        Assert.Equal(NornWriteStatus.DeviceQuotaExceeded, refused.Status);
        Assert.Equal(NornWriteStatus.Created, accepted.Status);
    }

    [Fact]
    public async Task When_both_quotas_are_reached_the_owner_quota_is_reported()
    {
        var quotas = new NornQuotas(MaxPerOwner: 1, MaxPerDevice: 1);
        await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice"), quotas);

        var result = await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(1), Url(2), owner: "alice"), quotas, Ct);

        Assert.Equal(NornWriteStatus.OwnerQuotaExceeded, result.Status);
    }

    [Fact]
    public async Task Quotas_do_not_count_expired_norns()
    {
        var quotas = new NornQuotas(MaxPerOwner: 1, MaxPerDevice: 1);
        await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice", ttl: TimeSpan.FromMinutes(1)), quotas);

        var result = await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(1), Url(2), owner: "alice", now: T0.AddMinutes(1)), quotas, Ct);

        Assert.Equal(NornWriteStatus.Created, result.Status);
    }

    [Fact]
    public async Task The_change_feed_reports_upserts_and_deletes_in_order_to_every_subscriber()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        await using var first = Store.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        await using var second = Store.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var firstNext = first.MoveNextAsync();
        var secondNext = second.MoveNextAsync();
        await WhenSubscribedAsync();

        var a = await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice"));
        var b = await CreateAsync(TestNorns.Http(TestNorns.Mac(2), Url(2), owner: "alice"));
        await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice", now: T0.AddMinutes(1)), NornQuotas.Unlimited, Ct);
        Assert.True(await Store.DeleteAsync(b.Id, "alice", Ct));
        var expected = new (NornChangeKind, string?)[]
        {
            (NornChangeKind.Upserted, a.Id),
            (NornChangeKind.Upserted, b.Id),
            (NornChangeKind.Upserted, a.Id),
            (NornChangeKind.Deleted, b.Id),
        };

        Assert.Equal(expected, await ReadAsync(first, firstNext, expected.Length));
        Assert.Equal(expected, await ReadAsync(second, secondNext, expected.Length));
    }

    [Fact]
    public async Task The_change_feed_reports_swept_norns_as_deleted()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        var a = await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice", ttl: TimeSpan.FromMinutes(1)));
        await using var changes = Store.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = changes.MoveNextAsync();
        await WhenSubscribedAsync();

        await Store.DeleteExpiredAsync(T0.AddMinutes(1), Ct);

        Assert.Equal([(NornChangeKind.Deleted, a.Id)], await ReadAsync(changes, next, 1));
    }

    [Fact]
    public async Task Upserted_changes_carry_the_stored_norn_when_they_carry_one()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        await using var changes = Store.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = changes.MoveNextAsync();
        await WhenSubscribedAsync();
        await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice"));
        await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice", now: T0.AddMinutes(1)), NornQuotas.Unlimited, Ct);

        await ReadAsync(changes, next, 1);
        Assert.True(await changes.MoveNextAsync());

        var change = changes.Current;
        Assert.Equal(NornChangeKind.Upserted, change.Kind);
        if (change.Norn is not null)
        {
            Assert.Equal(T0, change.Norn.CreatedAt);
            Assert.Equal(T0.AddMinutes(1), change.Norn.UpdatedAt);
        }
    }

    [Fact]
    public async Task Partner_ids_round_trip_through_get_list_load_and_the_change_feed()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        await using var changes = Store.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = changes.MoveNextAsync();
        await WhenSubscribedAsync();
        string[] partners = ["comcast", "*", "sky-uk"];
        var norn = TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice") with { PartnerIds = partners };

        var written = await CreateAsync(norn);
        var got = await Store.GetAsync(norn.Id, Ct);
        var listed = (await Store.ListAsync(new NornQuery("alice", null, null, 10, T0), Ct)).Items.Single();
        var loaded = new List<Norn>();
        await foreach (var active in Store.LoadActiveAsync(T0, Ct))
        {
            loaded.Add(active);
        }

        var change = await ReadChangeAsync(changes, next);
        var fromFeed = change.Norn ?? await Store.GetAsync(change.Id!, Ct);

        Assert.Equal(partners, written.PartnerIds);
        Assert.Equal(partners, got!.PartnerIds);
        Assert.Equal(partners, listed.PartnerIds);
        Assert.Equal(partners, Assert.Single(loaded).PartnerIds);
        Assert.Equal((NornChangeKind.Upserted, norn.Id), (change.Kind, change.Id));
        Assert.Equal(partners, fromFeed!.PartnerIds);
    }

    [Fact]
    public async Task An_update_replaces_the_partner_ids()
    {
        await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice") with { PartnerIds = ["comcast"] });

        var result = await Store.UpsertAsync(
            TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice", now: T0.AddMinutes(1)) with { PartnerIds = ["sky-uk", "comcast"] }, NornQuotas.Unlimited, Ct);

        Assert.Equal(NornWriteStatus.Updated, result.Status);
        Assert.Equal(["sky-uk", "comcast"], (await Store.GetAsync(result.Norn!.Id, Ct))!.PartnerIds);
    }

    [Fact]
    public async Task A_norn_without_partner_ids_comes_back_without_them()
    {
        var norn = await CreateAsync(TestNorns.Http(TestNorns.Mac(1), Url(1), owner: "alice"));

        var got = await Store.GetAsync(norn.Id, Ct);
        var loaded = new List<Norn>();
        await foreach (var active in Store.LoadActiveAsync(T0, Ct))
        {
            loaded.Add(active);
        }

        Assert.Null(norn.PartnerIds);
        Assert.True(got!.PartnerIds is null or { Count: 0 });
        Assert.True(Assert.Single(loaded).PartnerIds is null or { Count: 0 });
    }

    [Fact]
    public async Task Sixteen_concurrent_creators_lose_no_write_and_make_no_duplicate()
    {
        const int Writers = 16;
        const int PerWriter = 500;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(
            async () =>
            {
                for (var i = 0; i < PerWriter; i++)
                {
                    var n = (w * PerWriter) + i;
                    var result = await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(n), Url(n), owner: $"owner-{w}"), NornQuotas.Unlimited, Ct);
                    Assert.Equal(NornWriteStatus.Created, result.Status);
                }
            },
            Ct)));

        var all = new List<string>();
        await foreach (var norn in Store.LoadActiveAsync(T0, Ct))
        {
            all.Add(norn.Id);
        }

        Assert.Equal(Writers * PerWriter, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
        var page = await Store.ListAsync(new NornQuery("owner-7", null, null, 1000, T0), Ct);
        Assert.Equal(PerWriter, page.Items.Count);
    }

    [Fact]
    public async Task Two_owners_racing_for_one_id_have_exactly_one_winner()
    {
        for (var round = 0; round < 20; round++)
        {
            var url = Url(round);
            var results = await Task.WhenAll(
                Task.Run(async () => await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(round), url, owner: "alice"), NornQuotas.Unlimited, Ct), Ct),
                Task.Run(async () => await Store.UpsertAsync(TestNorns.Http(TestNorns.Mac(round), url, owner: "bob"), NornQuotas.Unlimited, Ct), Ct));

            Assert.Single(results, r => r.Status == NornWriteStatus.Created);
            Assert.Single(results, r => r.Status == NornWriteStatus.Conflict);
            var winner = results.Single(r => r.Status == NornWriteStatus.Created).Norn!.Owner;
            Assert.Equal(winner, (await Store.GetAsync(NornIdentity.Derive(TestNorns.Mac(round), url), Ct))!.Owner);
        }
    }

    [Fact]
    public async Task Ping_answers() => await Store.PingAsync(Ct);

    private static async Task<NornChange> ReadChangeAsync(IAsyncEnumerator<NornChange> changes, ValueTask<bool> pending)
    {
        var next = pending;
        while (true)
        {
            Assert.True(await next, "the change feed ended early");
            if (changes.Current.Kind != NornChangeKind.Resync)
            {
                return changes.Current;
            }

            next = changes.MoveNextAsync();
        }
    }

    private static async Task<(NornChangeKind Kind, string? Id)[]> ReadAsync(
        IAsyncEnumerator<NornChange> changes,
        ValueTask<bool> pending,
        int count)
    {
        var read = new List<(NornChangeKind, string?)>();
        var next = pending;
        while (true)
        {
            Assert.True(await next, "the change feed ended early");
            var change = changes.Current;
            if (change.Kind != NornChangeKind.Resync)
            {
                read.Add((change.Kind, change.Id));
            }

            if (read.Count == count)
            {
                return [.. read];
            }

            next = changes.MoveNextAsync();
        }
    }
}
