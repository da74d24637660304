using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>What only the Argus store has: polling, Argus's failures and refusals, another client in the bucket.</summary>
public sealed class ArgusStoreTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions ForeignJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly string _bucket = Stores.NewBucket();
    private readonly List<ArgusNornStore> _stores = [];
    private ArgusDouble _argus = null!;
    private HttpClient _http = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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
    public async Task Argus_down_for_a_while_loses_nothing_deletes_nothing_refuses_writes_and_the_feed_resumes()
    {
        var store = Store(o => o.Timeout = TimeSpan.FromSeconds(2));
        var kept = new[] { Norn("alice", 1), Norn("alice", 2), Norn("bob", 3) };
        foreach (var norn in kept)
        {
            Assert.Equal(NornWriteStatus.Created, (await store.UpsertAsync(norn, NornQuotas.Unlimited, Ct)).Status);
        }

        await using var feed = await FeedRecorder.StartAsync(store);
        _argus.Fault = ArgusFault.Down;
        await Eventually.TrueAsync(() => store.ConsecutivePollFailures >= 3, "three polls failed while Argus is down");

        var write = await Assert.ThrowsAsync<NornStoreUnavailableException>(
            async () => await store.UpsertAsync(Norn("alice", 4), NornQuotas.Unlimited, Ct));
        await Assert.ThrowsAsync<NornStoreUnavailableException>(async () => await store.GetAsync(kept[0].Id, Ct));
        var degraded = await HealthAsync(store);
        Assert.False(store.IsConfigurationError);
        Assert.NotNull(store.LastPollError);
        _argus.Fault = ArgusFault.None;

        // Positive marker: a norn another client writes after the outage must reach the feed; nothing may precede it
        // but the resync of the first poll.
        var marker = Norn("carol", 5);
        await PutForeignAsync(marker);
        var index = await feed.WaitForAsync(c => c.Kind == NornChangeKind.Upserted && c.Id == marker.Id, "the marker written after the outage");

        Assert.NotNull(write.RetryAfter);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.All(feed.Changes.Take(index), c => Assert.Equal(NornChangeKind.Resync, c.Kind));
        var active = await LoadActiveAsync(store);
        Assert.Equal(kept.Select(n => n.Id).Append(marker.Id).Order(StringComparer.Ordinal), active.Select(n => n.Id).Order(StringComparer.Ordinal));
        await Eventually.TrueAsync(() => store.ConsecutivePollFailures == 0, "a poll succeeded again");
        Assert.Null(store.LastPollError);
        Assert.Equal(HealthStatus.Healthy, (await HealthAsync(store)).Status);
    }

    [Fact]
    public async Task Items_another_client_writes_or_deletes_in_the_bucket_reach_the_feed_with_the_norn()
    {
        var store = Store();
        await using var feed = await FeedRecorder.StartAsync(store);
        var norn = Norn("alice", 1);

        await PutForeignAsync(norn);
        var first = await feed.WaitForAsync(c => c.Kind == NornChangeKind.Upserted && c.Id == norn.Id, "the foreign write");
        var upserted = feed.Changes[first];
        await PutForeignAsync(norn with { Destination = new NornDestination { Http = new HttpDestination { Url = norn.Destination.Http!.Url, Secret = "rotated" } } });
        var second = await feed.WaitForAsync(
            c => c.Kind == NornChangeKind.Upserted && c.Norn?.Destination.Http?.Secret == "rotated", "the foreign update");
        var updated = feed.Changes[second];
        using (var request = Request(HttpMethod.Delete, norn.Id))
        {
            using var deleted = await _http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        await feed.WaitForAsync(c => c.Kind == NornChangeKind.Deleted && c.Id == norn.Id, "the foreign delete");

        Assert.Equal(norn.Owner, upserted.Norn!.Owner);
        Assert.Equal(norn.Destination, upserted.Norn.Destination);
        Assert.Equal(norn.Id, updated.Id);
    }

    [Fact]
    public async Task An_item_that_is_not_a_norn_is_ignored_by_polls_reads_and_listings()
    {
        var store = Store();
        await using var feed = await FeedRecorder.StartAsync(store);
        var foreignId = new string('f', 64);
        using (var request = Request(HttpMethod.Put, foreignId, new JsonObject { ["id"] = foreignId, ["data"] = new JsonObject { ["url"] = "x" } }))
        {
            using var response = await _http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var marker = Norn("alice", 1);
        await PutForeignAsync(marker);
        await feed.WaitForAsync(c => c.Id == marker.Id, "the marker after the foreign item");

        Assert.DoesNotContain(feed.Changes, c => c.Id == foreignId);
        Assert.Null(await store.GetAsync(foreignId, Ct));
        Assert.Equal([marker.Id], (await LoadActiveAsync(store)).Select(n => n.Id));
    }

    [Fact]
    public async Task A_norn_Argus_re_encoded_is_not_reported_again_by_later_polls()
    {
        var store = Store();
        await using var feed = await FeedRecorder.StartAsync(store);
        var norn = Norn("alice", 1) with
        {
            Filter = new NornFilter
            {
                Events = ["online"],
                Metadata = new Dictionary<string, string> { ["/z-last"] = "1", ["/a-first"] = "2" },
            },
        };

        await store.UpsertAsync(norn, NornQuotas.Unlimited, Ct);
        var polled = await PolledAtAsync(store);
        var marker = Norn("bob", 2);
        await PutForeignAsync(marker);
        await feed.WaitForAsync(c => c.Id == marker.Id, "the marker written after the re-encoded norn was polled");
        await Eventually.TrueAsync(() => store.LastPollSucceededAt > polled, "one more poll");

        Assert.Single(feed.Changes, c => c.Id == norn.Id);
    }

    [Fact]
    public async Task Items_carry_the_owner_header_the_norn_document_and_its_remaining_ttl()
    {
        var store = Store();
        var norn = Norn("alice", 1, ttl: TimeSpan.FromSeconds(3599.2));

        await store.UpsertAsync(norn, NornQuotas.Unlimited, Ct);
        using var request = Request(HttpMethod.Get, norn.Id);
        using var response = await _http.SendAsync(request, Ct);
        var item = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        using var anonymous = await _http.GetAsync($"api/v1/store/{_bucket}/{norn.Id}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.InRange((long)item["ttl"]!, 3590, 3600);
        Assert.Equal(norn.Id, (string?)item["data"]!["id"]);
        Assert.Equal("alice", (string?)item["data"]!["owner"]);
        Assert.Equal("s3cret", (string?)item["data"]!["destination"]!["http"]!["secret"]);
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode); // bound to the configured Argus owner
    }

    [Fact]
    public async Task Polls_follow_the_injected_clock()
    {
        var start = DateTimeOffset.UtcNow;
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(start);
        var store = new ArgusNornStore(
            new HttpClient(),
            Stores.Options(_argus, _bucket, o =>
            {
                o.PullInterval = TimeSpan.FromMinutes(1);
                o.Timeout = TimeSpan.FromDays(1); // the fake clock moves in minutes while requests run in real time
            }),
            clock);
        _stores.Add(store);
        await using var feed = await FeedRecorder.StartAsync(store);
        var norn = Norn("alice", 1);
        await PutForeignAsync(norn);
        var listings = ListingsSoFar();

        // The poller waits a pull interval of the fake clock (it may not be waiting yet: move time until it polled).
        await Eventually.TrueAsync(
            () =>
            {
                clock.Advance(TimeSpan.FromMinutes(1));
                return feed.Changes.Any(c => c.Kind == NornChangeKind.Upserted && c.Id == norn.Id);
            },
            "the write reported after the fake clock moved a pull interval");

        Assert.True(store.LastPollSucceededAt >= start.AddMinutes(1));
        Assert.True(ListingsSoFar() > listings);
    }

    [Fact]
    public async Task Missing_credentials_are_a_401_configuration_error_reported_by_health()
    {
        _argus.RequireAuth = true;
        var store = Store();

        var write = await Assert.ThrowsAsync<ArgusStoreException>(async () => await store.UpsertAsync(Norn("alice", 1), NornQuotas.Unlimited, Ct));
        await using var feed = new FeedHolder(store);
        await Eventually.TrueAsync(() => store.ConsecutivePollFailures >= 1, "a poll was refused");

        Assert.Equal(401, write.StatusCode);
        Assert.True(write.IsConfigurationError);
        Assert.True(store.IsConfigurationError);
        Assert.Equal(HealthStatus.Unhealthy, (await HealthAsync(store)).Status);
        await Assert.ThrowsAsync<ArgusStoreException>(async () => await store.PingAsync(Ct));
    }

    [Fact]
    public async Task A_wrong_password_is_a_403_configuration_error_and_the_password_is_never_logged()
    {
        _argus.RequireAuth = true;
        _argus.Users["mimisbrunnr"] = "right-password";
        var logs = new FakeLogCollector();
        var store = Store(o => o.Basic = "mimisbrunnr:wrong-password-123", new FakeLogger<ArgusNornStore>(logs));

        var write = await Assert.ThrowsAsync<ArgusStoreException>(async () => await store.UpsertAsync(Norn("alice", 1), NornQuotas.Unlimited, Ct));

        Assert.Equal(403, write.StatusCode);
        Assert.True(write.IsConfigurationError);
        Assert.Equal("invalid credentials", write.Reason);
        Assert.True(store.IsConfigurationError);
        Assert.Contains(logs.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains("403", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Message.Contains("wrong-password-123", StringComparison.Ordinal));
        Assert.DoesNotContain("wrong-password-123", write.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_credentials_are_accepted()
    {
        _argus.RequireAuth = true;
        _argus.Users["mimisbrunnr"] = "right-password";
        var store = Store(o => o.Basic = "mimisbrunnr:right-password");

        Assert.Equal(NornWriteStatus.Created, (await store.UpsertAsync(Norn("alice", 1), NornQuotas.Unlimited, Ct)).Status);
        await store.PingAsync(Ct);
    }

    [Fact]
    public async Task A_bearer_token_from_the_token_source_is_fetched_once_and_reused()
    {
        _argus.RequireAuth = true;
        _argus.AuthBasic = "issuer:issuer-secret";
        var store = Store(o =>
        {
            o.Jwt.AuthUrl = new Uri(_argus.Address, "auth");
            o.Jwt.Basic = "issuer:issuer-secret";
        });

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(NornWriteStatus.Created, (await store.UpsertAsync(Norn("alice", i), NornQuotas.Unlimited, Ct)).Status);
        }

        Assert.Equal(5, (await LoadActiveAsync(store)).Count);
        Assert.Equal(1, _argus.TokensIssued);
    }

    [Fact]
    public async Task A_token_source_that_refuses_its_credentials_is_a_configuration_error()
    {
        _argus.RequireAuth = true;
        _argus.AuthBasic = "issuer:issuer-secret";
        var store = Store(o =>
        {
            o.Jwt.AuthUrl = new Uri(_argus.Address, "auth");
            o.Jwt.Basic = "issuer:wrong";
        });

        var error = await Assert.ThrowsAsync<ArgusStoreException>(async () => await store.UpsertAsync(Norn("alice", 1), NornQuotas.Unlimited, Ct));

        Assert.True(error.IsConfigurationError);
        Assert.Contains("Mimisbrunnr:Argus:Jwt", error.Message, StringComparison.Ordinal);
        Assert.True(store.IsConfigurationError);
    }

    [Fact]
    public async Task A_400_carries_Argus_reason_and_is_logged()
    {
        _argus.MaxDepth = 2;
        var logs = new FakeLogCollector();
        var store = Store(logger: new FakeLogger<ArgusNornStore>(logs));

        var error = await Assert.ThrowsAsync<ArgusStoreException>(async () => await store.UpsertAsync(Norn("alice", 1), NornQuotas.Unlimited, Ct));

        Assert.Equal(400, error.StatusCode);
        Assert.Equal("Depth of item data JSON is too large.", error.Reason);
        Assert.False(error.IsConfigurationError);
        Assert.Contains("Depth of item data JSON is too large.", error.Message, StringComparison.Ordinal);
        Assert.Contains(logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("Depth of item data JSON is too large.", StringComparison.Ordinal));
        Assert.False(store.IsConfigurationError);
    }

    [Fact]
    public async Task Server_errors_are_retried_and_after_three_attempts_the_store_is_unavailable()
    {
        var store = Store();
        var norn = Norn("alice", 1);
        _argus.FailNext(2, 503);

        var created = await store.UpsertAsync(norn, NornQuotas.Unlimited, Ct); // GET fails twice, then GET and PUT succeed
        _argus.Fault = ArgusFault.ServerError;
        var before = _argus.Requests.Count;
        var error = await Assert.ThrowsAsync<NornStoreUnavailableException>(async () => await store.GetAsync(norn.Id, Ct));

        Assert.Equal(NornWriteStatus.Created, created.Status);
        Assert.Equal(3, _argus.Requests.Count - before);
        Assert.Contains("500", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.RetryAfter);
    }

    [Fact]
    public async Task A_slow_Argus_times_out_into_unavailable()
    {
        var store = Store(o => o.Timeout = TimeSpan.FromMilliseconds(200));
        _argus.Fault = ArgusFault.Slow;
        _argus.SlowDelay = TimeSpan.FromSeconds(30);

        var error = await Assert.ThrowsAsync<NornStoreUnavailableException>(async () => await store.UpsertAsync(Norn("alice", 1), NornQuotas.Unlimited, Ct));

        Assert.Contains("no answer within", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<OperationCanceledException>(error.InnerException);
    }

    [Fact]
    public async Task Ids_that_cannot_be_Argus_ids_are_answered_without_asking_Argus()
    {
        var store = Store();

        Assert.Null(await store.GetAsync("not-an-id", Ct));
        Assert.Null(await store.GetAsync(new string('A', 64), Ct));
        Assert.False(await store.DeleteAsync("../norns", "alice", Ct));
        Assert.Empty(_argus.Requests);
    }

    [Fact]
    public async Task An_older_Argus_gets_the_owner_in_X_Midt_Owner()
    {
        _argus.OwnerHeader = "X-Midt-Owner";
        var store = Store(o => o.OwnerHeader = "X-Midt-Owner");
        var norn = Norn("alice", 1);

        await store.UpsertAsync(norn, NornQuotas.Unlimited, Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/store/{_bucket}/{norn.Id}");
        request.Headers.Add("X-Midt-Owner", Stores.Owner);
        using var response = await _http.SendAsync(request, Ct);
        using var anonymous = await _http.GetAsync($"api/v1/store/{_bucket}/{norn.Id}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
    }

    [Fact]
    public async Task Quotas_count_what_another_instance_wrote_once_it_has_been_polled()
    {
        var first = Store();
        var second = Store();
        var quotas = new NornQuotas(MaxPerOwner: 2, MaxPerDevice: 100);
        await first.UpsertAsync(Norn("alice", 1), quotas, Ct);
        await first.UpsertAsync(Norn("alice", 2), quotas, Ct);

        // The second instance has no recent view: it reads the bucket before counting.
        var third = await second.UpsertAsync(Norn("alice", 3), quotas, Ct);

        Assert.Equal(NornWriteStatus.OwnerQuotaExceeded, third.Status);
    }

    [Fact]
    public async Task The_health_check_is_healthy_before_the_first_poll_and_after_a_good_one()
    {
        var store = Store();
        Assert.Equal(HealthStatus.Healthy, (await HealthAsync(store)).Status);
        await using var feed = await FeedRecorder.StartAsync(store);

        var healthy = await HealthAsync(store);

        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.NotNull(store.LastPollSucceededAt);
        Assert.Equal(0, store.ConsecutivePollFailures);
    }

    private int ListingsSoFar() => _argus.Requests.Count(r => r == $"GET /api/v1/store/{_bucket}");

    private ArgusNornStore Store(Action<ArgusStoreOptions>? configure = null, ILogger<ArgusNornStore>? logger = null)
    {
        var store = Stores.Create(_argus, _bucket, configure, logger);
        _stores.Add(store);
        return store;
    }

    /// <summary>Norn number <paramref name="n"/> of <paramref name="owner"/>, written now (the store runs on the real clock).</summary>
    private static Norn Norn(string owner, int n, TimeSpan? ttl = null) =>
        TestNorns.Http(TestNorns.Mac(n), $"https://consumer.example/hook/{n}", owner, secret: "s3cret", now: DateTimeOffset.UtcNow, ttl: ttl);

    private static async Task<HealthCheckResult> HealthAsync(ArgusNornStore store) =>
        await new ArgusHealthCheck(store).CheckHealthAsync(new HealthCheckContext(), Ct);

    private static async Task<List<Norn>> LoadActiveAsync(INornStore store)
    {
        var norns = new List<Norn>();
        await foreach (var norn in store.LoadActiveAsync(DateTimeOffset.UtcNow, Ct))
        {
            norns.Add(norn);
        }

        return norns;
    }

    private static async Task<DateTimeOffset> PolledAtAsync(ArgusNornStore store)
    {
        var before = store.LastPollSucceededAt;
        await Eventually.TrueAsync(() => store.LastPollSucceededAt != before, "a poll after the write");
        return store.LastPollSucceededAt!.Value;
    }

    /// <summary>Another client (another Mimisbrunnr, an operator's script) writes a norn item under the same owner.</summary>
    private async Task PutForeignAsync(Norn norn)
    {
        var item = new JsonObject
        {
            ["ttl"] = 3600,
            ["data"] = JsonSerializer.SerializeToNode(norn, ForeignJson),
            ["id"] = norn.Id,
        };
        using var request = Request(HttpMethod.Put, norn.Id, item);
        using var response = await _http.SendAsync(request, Ct);
        Assert.True(response.IsSuccessStatusCode, $"foreign PUT: {(int)response.StatusCode}");
    }

    private HttpRequestMessage Request(HttpMethod method, string id, JsonObject? body = null)
    {
        var request = new HttpRequestMessage(method, $"api/v1/store/{_bucket}/{id}");
        request.Headers.Add("X-Xmidt-Owner", Stores.Owner);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        return request;
    }

    /// <summary>A subscription that only keeps the poller running (its first poll may fail).</summary>
    private sealed class FeedHolder : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _reader;

        public FeedHolder(INornStore store)
        {
            var feed = store.WatchAsync(_stop.Token);
            _reader = Task.Run(async () =>
            {
                try
                {
                    await foreach (var change in feed.WithCancellation(_stop.Token))
                    {
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reader;
            _stop.Dispose();
        }
    }
}
