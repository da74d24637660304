using System.Net;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Hosting.Tests;

public sealed class NornApiTests : SinkAndDatabaseTest
{
    private MimisbrunnrTestHost _host = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _host = await StartHostAsync(o => o.Engine += e => e.MaxTtl = 7200);
    }

    public override async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Create_returns_201_with_location_then_200_for_the_same_pair()
    {
        var body = TestNorns.HttpRequest("MAC:11:22:33:44:55:66/config", Sink.Url("/hook"), secret: TestNorns.Secret).ToJson();
        using var created = await _host.SendAsync(HttpMethod.Post, "norns", "alice", body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var norn = await created.ReadJsonAsync();
        var id = norn.GetProperty("id").GetString()!;
        Assert.Equal($"/norns/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("mac:112233445566", norn.GetProperty("deviceId").GetString());
        Assert.True(norn.GetProperty("destination").GetProperty("http").GetProperty("hasSecret").GetBoolean());
        Assert.DoesNotContain("norn-secret", norn.GetRawText(), StringComparison.Ordinal);

        using var again = await _host.SendAsync(HttpMethod.Post, "norns", "alice", body);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(id, (await again.ReadJsonAsync()).GetProperty("id").GetString());

        using var fetched = await _host.SendAsync(HttpMethod.Get, $"norns/{id}", "alice");
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.DoesNotContain("norn-secret", await fetched.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Input_is_case_insensitive_and_unknown_properties_are_ignored()
    {
        var body = $$$"""{"DEVICEID":"mac:112233445566","Ttl":60,"Destination":{"HTTP":{"URL":"{{{Sink.Url("/x")}}}"}},"extra":{"a":1}}""";
        using var response = await _host.SendAsync(HttpMethod.Post, "norns", "alice", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Others_norns_are_404_and_the_same_pair_is_409()
    {
        var body = TestNorns.HttpRequest("mac:112233445566", Sink.Url("/hook"), secret: TestNorns.Secret).ToJson();
        using var created = await _host.SendAsync(HttpMethod.Post, "norns", "alice", body);
        var id = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;

        using var get = await _host.SendAsync(HttpMethod.Get, $"norns/{id}", "mallory");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var put = await _host.SendAsync(HttpMethod.Put, $"norns/{id}", "mallory", body);
        Assert.Equal(HttpStatusCode.NotFound, put.StatusCode);
        using var delete = await _host.SendAsync(HttpMethod.Delete, $"norns/{id}", "mallory");
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        using var post = await _host.SendAsync(HttpMethod.Post, "norns", "mallory", body);
        Assert.Equal(HttpStatusCode.Conflict, post.StatusCode);
        Assert.Equal("application/problem+json", post.Content.Headers.ContentType?.MediaType);

        // Still alice's, untouched.
        using var mine = await _host.SendAsync(HttpMethod.Get, $"norns/{id}", "alice");
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        using var missing = await _host.SendAsync(HttpMethod.Get, $"norns/{new string('0', 64)}", "alice");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Put_updates_and_delete_removes()
    {
        var body = TestNorns.HttpRequest("mac:112233445566", Sink.Url("/hook"), ttl: 60, secret: TestNorns.Secret).ToJson();
        using var created = await _host.SendAsync(HttpMethod.Post, "norns", "alice", body);
        var first = await created.ReadJsonAsync();
        var id = first.GetProperty("id").GetString()!;

        using var put = await _host.SendAsync(HttpMethod.Put, $"norns/{id}", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/hook"), ttl: 3600, contentType: "application/msgpack", secret: TestNorns.Secret).ToJson());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var updated = await put.ReadJsonAsync();
        Assert.Equal("application/msgpack", updated.GetProperty("destination").GetProperty("http").GetProperty("contentType").GetString());
        Assert.True(updated.GetProperty("expiresAt").GetDateTimeOffset() > first.GetProperty("expiresAt").GetDateTimeOffset());

        using var moved = await _host.SendAsync(HttpMethod.Put, $"norns/{id}", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/other"), secret: TestNorns.Secret).ToJson());
        Assert.Equal(HttpStatusCode.BadRequest, moved.StatusCode);
        Assert.Equal("immutable", (await moved.ReadJsonAsync()).GetProperty("rule").GetString());

        using var delete = await _host.SendAsync(HttpMethod.Delete, $"norns/{id}", "alice");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var gone = await _host.SendAsync(HttpMethod.Get, $"norns/{id}", "alice");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var again = await _host.SendAsync(HttpMethod.Delete, $"norns/{id}", "alice");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Theory]
    [InlineData("""{"deviceId":"mac:112233445566","ttl":90000,"destination":{"http":{"url":"http://127.0.0.1:1/x"}}}""", "ttl", "7200")]
    [InlineData("""{"deviceId":"not-a-device","ttl":60,"destination":{"http":{"url":"http://127.0.0.1:1/x"}}}""", "deviceId", null)]
    [InlineData("""{"deviceId":"mac:112233445566","ttl":60,"destination":{}}""", "destination", null)]
    [InlineData("""{"deviceId":"mac:112233445566","ttl":60,"destination":{"http":{"url":"ftp://127.0.0.1/x"}}}""", "destination.http.url", null)]
    [InlineData("""{"deviceId":"mac:112233445566","ttl":"sixty","destination":{"http":{"url":"http://127.0.0.1:1/x"}}}""", "ttl", null)]
    public async Task Invalid_requests_are_400_naming_the_field(string body, string field, string? mentions)
    {
        using var response = await _host.SendAsync(HttpMethod.Post, "norns", "alice", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadJsonAsync();
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        if (mentions is not null)
        {
            Assert.Contains(mentions, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Malformed_json_is_400_wrong_content_type_415_big_body_413_anonymous_401()
    {
        using var malformed = await _host.SendAsync(HttpMethod.Post, "norns", "alice", "{\"deviceId\": ");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("json", (await malformed.ReadJsonAsync()).GetProperty("rule").GetString());

        using var text = MimisbrunnrTestHost.CreateRequest(HttpMethod.Post, "norns", "alice");
        text.Content = new StringContent("deviceId=x", System.Text.Encoding.UTF8, "text/plain");
        using var unsupported = await _host.Client.SendAsync(text, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, unsupported.StatusCode);

        var huge = TestNorns.HttpRequest("mac:112233445566", Sink.Url("/hook"), secret: new string('s', 70_000)).ToJson();
        using var tooLarge = await _host.SendAsync(HttpMethod.Post, "norns", "alice", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

        using var anonymous = await _host.SendAsync(HttpMethod.Get, "norns", user: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        using var anonymousPost = await _host.SendAsync(HttpMethod.Post, "norns", null, TestNorns.HttpRequest("mac:112233445566", Sink.Url("/hook"), secret: TestNorns.Secret).ToJson());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousPost.StatusCode);
    }

    [Fact]
    public async Task List_is_paged_with_a_link_header_and_filtered_by_device()
    {
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var device = i < 5 ? "mac:112233445566" : "mac:aabbccddeeff";
            using var response = await _host.SendAsync(HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest(device, Sink.Url($"/hook/{i}"), secret: TestNorns.Secret).ToJson());
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            ids.Add((await response.ReadJsonAsync()).GetProperty("id").GetString()!);
        }

        using (var other = await _host.SendAsync(HttpMethod.Post, "norns", "bob", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/bob"), secret: TestNorns.Secret).ToJson()))
        {
            Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        }

        var seen = new List<string>();
        var next = "norns?limit=3";
        var pages = 0;
        while (next is not null)
        {
            using var page = await _host.SendAsync(HttpMethod.Get, next, "alice");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var items = await page.ReadJsonAsync();
            seen.AddRange(items.EnumerateArray().Select(n => n.GetProperty("id").GetString()!));
            pages++;
            next = page.Headers.TryGetValues("Link", out var links)
                ? links.Single().Split(';')[0].Trim('<', '>')
                : null;
            Assert.True(next is null || next.StartsWith("/norns?limit=3&after=", StringComparison.Ordinal), next);
            next = next?.TrimStart('/');
        }

        Assert.Equal(3, pages);
        Assert.Equal(ids.Order(StringComparer.Ordinal), seen);

        using var filtered = await _host.SendAsync(HttpMethod.Get, "norns?deviceId=MAC:AA:BB:CC:DD:EE:FF", "alice");
        Assert.Equal(2, (await filtered.ReadJsonAsync()).GetArrayLength());

        using var badLimit = await _host.SendAsync(HttpMethod.Get, "norns?limit=1001", "alice");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Equal("limit", (await badLimit.ReadJsonAsync()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Quota_is_429_with_retry_after()
    {
        await using var host = await MimisbrunnrTestHost.StartAsync(o =>
        {
            o.UseSqlite(Database.Path + ".quota"); // a file of its own, beside this test's
            o.Engine += e => e.Quotas.MaxNornsPerOwner = 1;
        });
        using var first = await host.SendAsync(HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/a"), secret: TestNorns.Secret).ToJson());
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var second = await host.SendAsync(HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/b"), secret: TestNorns.Secret).ToJson());
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.NotNull(second.Headers.RetryAfter);
        Assert.Equal("perOwner", (await second.ReadJsonAsync()).GetProperty("rule").GetString());
    }
}
