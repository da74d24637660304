using System.Net;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Client.Tests;

/// <summary>Every <see cref="NornClient"/> method against the real /norns endpoints.</summary>
public sealed class NornClientTests : IAsyncLifetime
{
    private static readonly Uri Hook = new("http://127.0.0.1:9/hook");
    private TestServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _server = await TestServer.StartAsync(engine: o =>
        {
            o.MaxTtl = 3600;
            o.Quotas.MaxNornsPerDevice = 3;
        });

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task CreateOrUpdate_creates_then_updates_the_same_norn()
    {
        var client = _server.ClientFor("alice");
        var request = TestNorns.HttpRequest("MAC:11-22-33-44-55-66", Hook, ttl: 600, contentType: "application/msgpack", secret: TestNorns.Secret);

        var (created, wasCreated) = await client.CreateOrUpdateAsync(request, Ct);
        Assert.True(wasCreated);
        Assert.Matches("^[0-9a-f]{64}$", created.Id);
        Assert.Equal("mac:112233445566", created.DeviceId);
        Assert.Equal(TimeSpan.FromSeconds(600), created.ExpiresAt - created.UpdatedAt);
        var http = Assert.IsType<HttpDestinationResponse>(created.Destination.Http);
        Assert.Equal(Hook.ToString(), http.Url);
        Assert.Equal("application/msgpack", http.ContentType);
        Assert.True(http.HasSecret);

        var (updated, createdAgain) = await client.CreateOrUpdateAsync(request with { Ttl = 1200 }, Ct);
        Assert.False(createdAgain);
        Assert.Equal(created.Id, updated.Id);
        Assert.Equal(TimeSpan.FromSeconds(1200), updated.ExpiresAt - updated.UpdatedAt);
        Assert.Equal(created.CreatedAt, updated.CreatedAt);
    }

    [Fact]
    public async Task Get_returns_the_norn_and_null_for_unknown_ids_and_other_owners_norns()
    {
        var alice = _server.ClientFor("alice");
        var (norn, _) = await alice.CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(1), Hook, secret: TestNorns.Secret), Ct);

        var fetched = await alice.GetAsync(norn.Id, Ct);
        Assert.NotNull(fetched);
        Assert.Equal(norn.Id, fetched.Id);
        Assert.Equal(norn.ExpiresAt, fetched.ExpiresAt);

        Assert.Null(await alice.GetAsync(new string('0', 64), Ct));
        Assert.Null(await alice.GetAsync("not-an-id", Ct));
        Assert.Null(await _server.ClientFor("bob").GetAsync(norn.Id, Ct));
    }

    [Fact]
    public async Task Update_replaces_the_norn_and_unknown_ids_throw_not_found()
    {
        var client = _server.ClientFor("alice");
        var request = TestNorns.HttpRequest(TestNorns.Mac(2), Hook, secret: TestNorns.Secret);
        var (norn, _) = await client.CreateOrUpdateAsync(request, Ct);

        var filter = new NornFilter { Events = ["^device-status/.*/online$"] };
        var updated = await client.UpdateAsync(norn.Id, request with { Ttl = 60, Filter = filter }, Ct);
        Assert.Equal(norn.Id, updated.Id);
        Assert.Equal(TimeSpan.FromSeconds(60), updated.ExpiresAt - updated.UpdatedAt);
        Assert.Equal(filter.Events, updated.Filter?.Events);

        var missing = new string('a', 64);
        var notFound = await Assert.ThrowsAsync<MimisbrunnrNotFoundException>(() => client.UpdateAsync(missing, request, Ct));
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Contains(missing, notFound.Detail, StringComparison.Ordinal);
        Assert.Contains(missing, notFound.Message, StringComparison.Ordinal);

        var moved = request with { Destination = new DestinationRequest { Http = new HttpDestinationRequest { Url = "http://127.0.0.1:9/elsewhere" } } };
        var immutable = await Assert.ThrowsAsync<MimisbrunnrValidationException>(() => client.UpdateAsync(norn.Id, moved, Ct));
        Assert.Equal("destination", immutable.Field);
        Assert.Equal("immutable", immutable.Rule);
    }

    [Fact]
    public async Task Delete_answers_true_then_false()
    {
        var client = _server.ClientFor("alice");
        var (norn, _) = await client.CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(3), Hook, secret: TestNorns.Secret), Ct);

        Assert.False(await _server.ClientFor("bob").DeleteAsync(norn.Id, Ct));
        Assert.True(await client.DeleteAsync(norn.Id, Ct));
        Assert.False(await client.DeleteAsync(norn.Id, Ct));
        Assert.Null(await client.GetAsync(norn.Id, Ct));
    }

    [Fact]
    public async Task Renew_extends_the_ttl_keeps_the_secret_and_registers_again_after_expiry()
    {
        var client = _server.ClientFor("renewer");
        var registration = TestNorns.HttpRequest(TestNorns.Mac(4), Hook, ttl: 30, secret: TestNorns.Secret);
        var (norn, _) = await client.CreateOrUpdateAsync(registration, Ct);

        var (renewed, created) = await client.RenewAsync(registration, TimeSpan.FromSeconds(1.2), Ct);
        Assert.False(created);
        Assert.Equal(norn.Id, renewed.Id);
        Assert.Equal(TimeSpan.FromSeconds(2), renewed.ExpiresAt - renewed.UpdatedAt); // rounded up to whole seconds
        Assert.True(renewed.Destination.Http!.HasSecret);

        var (longer, _) = await client.RenewAsync(registration, TimeSpan.FromHours(1), Ct);
        Assert.Equal(TimeSpan.FromHours(1), longer.ExpiresAt - longer.UpdatedAt);
        Assert.True(longer.ExpiresAt > renewed.ExpiresAt);

        Assert.True(await client.DeleteAsync(norn.Id, Ct)); // as if it had expired and been swept
        var (again, createdAgain) = await client.RenewAsync(registration, TimeSpan.FromMinutes(5), Ct);
        Assert.True(createdAgain);
        Assert.Equal(norn.Id, again.Id);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.RenewAsync(registration, TimeSpan.Zero, Ct));
    }

    [Fact]
    public async Task List_follows_the_link_pages_across_250_norns()
    {
        var recorder = new RecordingHandler();
        var client = _server.ClientFor("pager", handlers: recorder);
        var ids = new List<string>();
        for (var i = 0; i < 250; i++)
        {
            ids.Add((await client.CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(1000 + i), Hook, secret: TestNorns.Secret), Ct)).Norn.Id);
        }

        await _server.ClientFor("alice").CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(5), Hook, secret: TestNorns.Secret), Ct); // not pager's
        recorder.Requests.Clear();

        var listed = new List<NornResponse>();
        await foreach (var norn in client.ListAsync(cancellationToken: Ct))
        {
            listed.Add(norn);
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), listed.Select(n => n.Id));
        var pages = recorder.Requests.ToArray();
        Assert.Equal(3, pages.Length); // 100 + 100 + 50 at the server's default page size
        Assert.All(pages, p => Assert.Equal(HttpMethod.Get, p.Method));
        Assert.Contains("after=", pages[1].Uri.Query, StringComparison.Ordinal);

        Assert.Empty(await client.ListAsync(TestNorns.Mac(5), Ct).ToListAsync(Ct)); // alice's device: none of pager's
        var byDevice = await client.ListAsync("MAC:00-00-00-00-04-0A", Ct).ToListAsync(Ct); // Device(1034), another spelling
        Assert.Equal(TestNorns.Mac(1034), Assert.Single(byDevice).DeviceId);
    }

    [Fact]
    public async Task Invalid_requests_throw_validation_errors_with_field_rule_and_the_servers_words()
    {
        var client = _server.ClientFor("alice");

        var tooLong = await Assert.ThrowsAsync<MimisbrunnrValidationException>(
            () => client.CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(6), Hook, ttl: 90_000, secret: TestNorns.Secret), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("ttl", tooLong.Field);
        Assert.Equal("range", tooLong.Rule);
        Assert.Equal("Invalid request", tooLong.Title);
        Assert.Equal("ttl 90000 exceeds the maximum of 3600 seconds.", tooLong.Detail);
        Assert.Contains("ttl 90000 exceeds the maximum of 3600 seconds.", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("field 'ttl'", tooLong.Message, StringComparison.Ordinal);
        Assert.Equal(400, tooLong.Problem!.Status);

        var noDestination = await Assert.ThrowsAsync<MimisbrunnrValidationException>(
            () => client.CreateOrUpdateAsync(new NornRequest { DeviceId = TestNorns.Mac(6), Ttl = 60 }, Ct));
        Assert.Equal("destination", noDestination.Field);
        Assert.Equal("required", noDestination.Rule);

        var badDevice = await Assert.ThrowsAsync<MimisbrunnrValidationException>(() => client.ListAsync("nonsense", Ct).ToListAsync(Ct).AsTask());
        Assert.Equal("deviceId", badDevice.Field);
    }

    [Fact]
    public async Task Wrong_or_missing_credentials_throw_unauthorized()
    {
        var wrong = await Assert.ThrowsAsync<MimisbrunnrUnauthorizedException>(
            () => _server.ClientFor("alice", password: "not-the-password").GetAsync(new string('0', 64), Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("Unauthenticated", wrong.Title);

        var anonymous = new NornClient(_server.HttpClient(credentials: null));
        await Assert.ThrowsAsync<MimisbrunnrUnauthorizedException>(() => anonymous.ListAsync(cancellationToken: Ct).ToListAsync(Ct).AsTask());
    }

    [Fact]
    public async Task Another_owners_device_and_destination_throw_conflict()
    {
        var request = TestNorns.HttpRequest(TestNorns.Mac(7), Hook, secret: TestNorns.Secret);
        await _server.ClientFor("alice").CreateOrUpdateAsync(request, Ct);

        var conflict = await Assert.ThrowsAsync<MimisbrunnrConflictException>(() => _server.ClientFor("bob").CreateOrUpdateAsync(request, Ct));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("destination", conflict.Field);
        Assert.Equal("owner", conflict.Rule);
        Assert.Contains("another owner", conflict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_limit_throws_an_api_exception_with_413()
    {
        var huge = new NornFilter { Metadata = new Dictionary<string, string> { ["/big"] = new('x', 70 * 1024) } };
        var ex = await Assert.ThrowsAsync<MimisbrunnrApiException>(
            () => _server.ClientFor("alice").CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(8), Hook, filter: huge, secret: TestNorns.Secret), Ct));
        Assert.Equal(typeof(MimisbrunnrApiException), ex.GetType());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, ex.StatusCode);
        Assert.Contains("exceeds the limit of 65536 bytes", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reached_quota_throws_rate_limited_with_retry_after()
    {
        var client = _server.ClientFor("alice");
        var device = TestNorns.Mac(9);
        for (var i = 0; i < 3; i++)
        {
            await client.CreateOrUpdateAsync(TestNorns.HttpRequest(device, new Uri($"http://127.0.0.1:9/hook{i}"), secret: TestNorns.Secret), Ct);
        }

        var limited = await Assert.ThrowsAsync<MimisbrunnrRateLimitedException>(
            () => client.CreateOrUpdateAsync(TestNorns.HttpRequest(device, new Uri("http://127.0.0.1:9/hook3"), secret: TestNorns.Secret), Ct));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), limited.RetryAfter);
        Assert.Equal("perDevice", limited.Rule);
        Assert.Contains("maximum of 3 norns", limited.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answers_that_are_not_problem_details_keep_the_raw_text()
    {
        var client = _server.ClientFor("alice", path: "broken/");

        var gateway = await Assert.ThrowsAsync<MimisbrunnrApiException>(() => client.GetAsync(new string('0', 64), Ct));
        Assert.Equal(HttpStatusCode.BadGateway, gateway.StatusCode);
        Assert.Null(gateway.Problem);
        Assert.Equal("upstream down", gateway.ResponseBody);
        Assert.EndsWith(": upstream down", gateway.Message, StringComparison.Ordinal);

        var html = await Assert.ThrowsAsync<MimisbrunnrApiException>(
            () => client.CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(10), Hook, secret: TestNorns.Secret), Ct));
        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        Assert.Contains("Welcome to the proxy", html.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(html.InnerException);

        var foreign = await Assert.ThrowsAsync<MimisbrunnrApiException>(() => client.ListAsync(cancellationToken: Ct).ToListAsync(Ct).AsTask());
        Assert.Contains("another origin (http://attacker.example)", foreign.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_404_without_problem_details_is_a_wrong_address_not_a_missing_norn()
    {
        var client = _server.ClientFor("alice", path: "no-such-prefix/");
        var ex = await Assert.ThrowsAsync<MimisbrunnrNotFoundException>(() => client.GetAsync(new string('0', 64), Ct));
        Assert.Null(ex.Problem);
        await Assert.ThrowsAsync<MimisbrunnrNotFoundException>(() => client.DeleteAsync(new string('0', 64), Ct));
    }

    [Fact]
    public async Task Cancellation_stops_calls_before_and_during_the_request_and_between_pages()
    {
        var client = _server.ClientFor("alice");
        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                () => client.CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(11), Hook, secret: TestNorns.Secret), cancelled.Token));
        }

        Assert.Empty(await client.ListAsync(TestNorns.Mac(11), Ct).ToListAsync(Ct)); // nothing was sent

        // During the request: the server holds it and never answers, so only the cancellation can end the call (the
        // bound only turns a hang into a failure).
        var held = _server.ClientFor("alice", handlers: new HeaderHandler(TestServer.HoldHeader, "1"));
        using (var cancel = new CancellationTokenSource())
        {
            var call = held.GetAsync(new string('0', 64), cancel.Token);
            await _server.RequestHeld.WaitAsync(Eventually.DefaultTimeout, Ct);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Eventually.DefaultTimeout, Ct));
        }

        var recorder = new RecordingHandler();
        var pager = _server.ClientFor("pager", handlers: [new HeaderHandler(TestServer.PageSizeHeader, "1"), recorder]);
        for (var i = 0; i < 3; i++)
        {
            await pager.CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(2000 + i), Hook, secret: TestNorns.Secret), Ct);
        }

        recorder.Requests.Clear();
        using var stop = new CancellationTokenSource();
        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var norn in pager.ListAsync(cancellationToken: Ct).WithCancellation(stop.Token))
            {
                seen++;
                await stop.CancelAsync();
            }
        });
        Assert.Equal(1, seen);
        Assert.InRange(recorder.Requests.Count, 1, 2); // the second page is never fetched (at most attempted)
    }

    [Fact]
    public async Task A_path_prefix_in_the_base_address_is_kept_with_or_without_a_trailing_slash()
    {
        await using var prefixed = await TestServer.StartAsync(prefix: "/api/v1");
        foreach (var path in new[] { "api/v1", "api/v1/" })
        {
            var client = prefixed.ClientFor("alice", path: path);
            var (norn, _) = await client.CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(12), Hook, secret: TestNorns.Secret), Ct);
            Assert.NotNull(await client.GetAsync(norn.Id, Ct));
            Assert.Single(await client.ListAsync(cancellationToken: Ct).ToListAsync(Ct));
        }
    }

    [Fact]
    public void A_client_needs_an_absolute_base_address() =>
        Assert.Throws<ArgumentException>(() => new NornClient(new HttpClient()));
}
