using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>The double against Argus's rules, so that the store's tests stand on something true.</summary>
public sealed class ArgusDoubleTests : IAsyncLifetime
{
    private const string Bucket = "norns";
    private const string Alice = "alice-owner-0001";
    private const string Bob = "bob-owner-000002";
    private static readonly string IdA = new('a', 64);
    private static readonly string IdB = new('b', 64);
    private static readonly string IdC = new('c', 64);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2031, 3, 1, 0, 0, 0, TimeSpan.Zero));
    private ArgusDouble _argus = null!;
    private HttpClient _http = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _argus = await ArgusDouble.StartAsync(_clock);
        _http = new HttpClient { BaseAddress = _argus.Address };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _argus.DisposeAsync();
    }

    [Fact]
    public async Task Put_creates_with_201_updates_with_200_and_get_returns_the_item_and_its_remaining_ttl()
    {
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(IdA, Item(IdA, ttl: 600), Alice)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(IdA, Item(IdA, ttl: 600, value: "v2"), Alice)).StatusCode);
        _clock.Advance(TimeSpan.FromSeconds(100.5));

        using var response = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}/{IdA}", Alice);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var item = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(IdA, (string?)item["id"]);
        Assert.Equal("v2", (string?)item["data"]!["value"]);
        Assert.Equal(499, (long)item["ttl"]!);
    }

    [Fact]
    public async Task Delete_answers_200_with_the_deleted_item_then_404()
    {
        await PutAsync(IdA, Item(IdA), Alice);

        using var deleted = await SendAsync(HttpMethod.Delete, $"api/v1/store/{Bucket}/{IdA}", Alice);
        using var again = await SendAsync(HttpMethod.Delete, $"api/v1/store/{Bucket}/{IdA}", Alice);
        using var get = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}/{IdA}", Alice);

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(IdA, (string?)JsonNode.Parse(await deleted.Content.ReadAsStringAsync(Ct))!["id"]);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task The_listing_is_sorted_by_id_and_an_unknown_bucket_is_empty()
    {
        await PutAsync(IdC, Item(IdC), Alice);
        await PutAsync(IdA, Item(IdA), Alice);
        await PutAsync(IdB, Item(IdB), Alice);

        var ids = (await ListAsync(Bucket, Alice)).Select(i => (string?)i!["id"]);
        var unknown = await ListAsync("never-written", Alice);

        Assert.Equal([IdA, IdB, IdC], ids);
        Assert.Empty(unknown);
    }

    [Theory]
    [InlineData("api/v1/store/norns/ABC", "Invalid ID format. Expecting the format of a SHA-256 message digest.")]
    [InlineData("api/v1/store/norns/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Invalid ID format. Expecting the format of a SHA-256 message digest.")]
    [InlineData("api/v1/store/No/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Invalid bucket format.")]
    [InlineData("api/v1/store/-norns/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Invalid bucket format.")]
    [InlineData("api/v1/store/ab/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Invalid bucket format.")]
    public async Task Malformed_ids_and_buckets_are_400_with_the_reason_in_X_Xmidt_Error(string path, string reason)
    {
        using var response = await SendAsync(HttpMethod.Get, path, Alice);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(reason, response.Headers.GetValues("X-Xmidt-Error").Single());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Theory]
    [InlineData("short")]
    [InlineData("this-owner-name-is-far-too-long-for-argus-which-allows-sixty-characters")]
    public async Task An_owner_outside_10_to_60_characters_is_400(string owner)
    {
        using var put = await PutAsync(IdA, Item(IdA), owner);
        using var list = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}", owner);

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("Invalid Owner format.", put.Headers.GetValues("X-Xmidt-Error").Single());
        Assert.Equal(HttpStatusCode.BadRequest, list.StatusCode);
    }

    [Theory]
    [InlineData("{\"id\":\"" + "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" + "\",\"data\":{\"a\":1}}", "IDs must match between the URL and payload.")]
    [InlineData("{\"id\":\"" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + "\"}", "Data field must be set in payload.")]
    [InlineData("{\"id\":\"" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + "\",\"data\":{}}", "Data field must be set in payload.")]
    [InlineData("{\"id\":\"" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + "\",\"data\":[1]}", "Failed to unmarshal json payload.")]
    [InlineData("{not json", "Failed to unmarshal json payload.")]
    public async Task Invalid_bodies_are_400_with_the_reason(string body, string reason)
    {
        using var response = await PutAsync(IdA, body, Alice);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(reason, response.Headers.GetValues("X-Xmidt-Error").Single());
    }

    [Fact]
    public async Task Data_may_nest_30_objects_deep_but_not_31()
    {
        using var thirty = await PutAsync(IdA, ItemWithData(IdA, Nested(30)), Alice);
        using var thirtyOne = await PutAsync(IdB, ItemWithData(IdB, Nested(31)), Alice);

        Assert.Equal(HttpStatusCode.Created, thirty.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, thirtyOne.StatusCode);
        Assert.Equal("Depth of item data JSON is too large.", thirtyOne.Headers.GetValues("X-Xmidt-Error").Single());
    }

    [Fact]
    public async Task A_missing_or_too_long_ttl_becomes_the_maximum_and_an_expired_item_is_gone()
    {
        _argus.ItemMaxTtl = TimeSpan.FromSeconds(100);
        await PutAsync(IdA, Item(IdA, ttl: null), Alice);
        await PutAsync(IdB, Item(IdB, ttl: 5000), Alice);
        await PutAsync(IdC, Item(IdC, ttl: 10), Alice);

        var ttls = (await ListAsync(Bucket, Alice)).Select(i => (long)i!["ttl"]!).ToArray();
        _clock.Advance(TimeSpan.FromSeconds(10));
        using var expired = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}/{IdC}", Alice);
        var afterTen = (await ListAsync(Bucket, Alice)).Select(i => (string?)i!["id"]);
        _clock.Advance(TimeSpan.FromSeconds(90));

        Assert.Equal([100, 100, 10], ttls);
        Assert.Equal(HttpStatusCode.NotFound, expired.StatusCode);
        Assert.Equal([IdA, IdB], afterTen);
        Assert.Empty(await ListAsync(Bucket, Alice));
    }

    [Fact]
    public async Task An_item_keeps_its_owner_and_other_owners_get_403()
    {
        await PutAsync(IdA, Item(IdA), Alice);

        using var put = await PutAsync(IdA, Item(IdA, value: "bob's"), Bob);
        using var get = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}/{IdA}", Bob);
        using var delete = await SendAsync(HttpMethod.Delete, $"api/v1/store/{Bucket}/{IdA}", Bob);
        using var anonymous = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}/{IdA}", owner: null);
        using var own = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}/{IdA}", Alice);

        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Equal("resource owner mismatch", put.Headers.GetValues("X-Xmidt-Error").Single());
        Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        Assert.Equal("v", (string?)JsonNode.Parse(await own.Content.ReadAsStringAsync(Ct))!["data"]!["value"]);
    }

    [Fact]
    public async Task A_listing_shows_only_the_callers_items_and_no_header_means_the_empty_owner()
    {
        await PutAsync(IdA, Item(IdA), Alice);
        await PutAsync(IdB, Item(IdB), Bob);
        await PutAsync(IdC, Item(IdC), owner: null);

        Assert.Equal([IdA], (await ListAsync(Bucket, Alice)).Select(i => (string?)i!["id"]));
        Assert.Equal([IdB], (await ListAsync(Bucket, Bob)).Select(i => (string?)i!["id"]));
        Assert.Equal([IdC], (await ListAsync(Bucket, owner: null)).Select(i => (string?)i!["id"]));
    }

    [Fact]
    public async Task An_admin_token_sees_and_writes_every_owners_items_and_Basic_is_never_admin()
    {
        _argus.RequireAuth = true;
        _argus.Users["operator"] = "pw";
        await PutAsync(IdA, Item(IdA), Alice, Basic("operator", "pw"));
        await PutAsync(IdB, Item(IdB), Bob, Basic("operator", "pw"));
        var admin = new AuthenticationHeaderValue("Bearer", _argus.MintJwt("ops", admin: true));
        var plain = new AuthenticationHeaderValue("Bearer", _argus.MintJwt("svc", admin: false));

        var adminAll = await ListAsync(Bucket, owner: null, admin);
        var adminAsAlice = await ListAsync(Bucket, Alice, admin);
        var plainAll = await ListAsync(Bucket, owner: null, plain);
        var basicAll = await ListAsync(Bucket, owner: null, Basic("operator", "pw"));
        using var adminPut = await PutAsync(IdA, Item(IdA, value: "by admin"), Bob, admin);
        using var adminGet = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}/{IdA}", owner: null, admin);

        Assert.Equal([IdA, IdB], adminAll.Select(i => (string?)i!["id"]));
        Assert.Equal([IdA], adminAsAlice.Select(i => (string?)i!["id"]));
        Assert.Empty(plainAll);
        Assert.Empty(basicAll);
        Assert.Equal(HttpStatusCode.OK, adminPut.StatusCode);
        Assert.Equal("by admin", (string?)JsonNode.Parse(await adminGet.Content.ReadAsStringAsync(Ct))!["data"]!["value"]);
        Assert.Equal([IdA], (await ListAsync(Bucket, Alice, Basic("operator", "pw"))).Select(i => (string?)i!["id"])); // still Alice's
    }

    [Fact]
    public async Task Without_credentials_it_is_401_with_a_Bearer_challenge_and_bad_ones_are_403()
    {
        _argus.RequireAuth = true;
        _argus.Users["operator"] = "pw";

        using var none = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}", Alice);
        using var wrongPassword = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}", Alice, Basic("operator", "nope"));
        using var badSignature = await SendAsync(
            HttpMethod.Get, $"api/v1/store/{Bucket}", Alice, new AuthenticationHeaderValue("Bearer", _argus.MintJwt("x", true, key: new byte[32])));
        using var expired = await SendAsync(
            HttpMethod.Get, $"api/v1/store/{Bucket}", Alice, new AuthenticationHeaderValue("Bearer", _argus.MintJwt("x", true, TimeSpan.FromSeconds(-1))));
        using var good = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}", Alice, Basic("operator", "pw"));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Forbidden, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, badSignature.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task An_older_server_reads_the_owner_from_X_Midt_Owner()
    {
        _argus.OwnerHeader = "X-Midt-Owner";
        using (var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/store/{Bucket}/{IdA}") { Content = Json(Item(IdA)) })
        {
            request.Headers.Add("X-Midt-Owner", Alice);
            using var created = await _http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var list = new HttpRequestMessage(HttpMethod.Get, $"api/v1/store/{Bucket}");
        list.Headers.Add("X-Midt-Owner", Alice);
        using var listed = await _http.SendAsync(list, Ct);

        Assert.Single(JsonNode.Parse(await listed.Content.ReadAsStringAsync(Ct))!.AsArray());
        Assert.Empty(await ListAsync(Bucket, owner: null));
    }

    [Fact]
    public async Task Data_comes_back_with_its_keys_sorted_as_Argus_re_encodes_it()
    {
        await PutAsync(IdA, ItemWithData(IdA, new JsonObject { ["zeta"] = 1, ["alpha"] = new JsonObject { ["y"] = true, ["b"] = "x" } }), Alice);

        using var response = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}/{IdA}", Alice);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Contains("\"data\":{\"alpha\":{\"b\":\"x\",\"y\":true},\"zeta\":1}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Faults_drop_connections_answer_500_or_fail_a_number_of_requests()
    {
        _argus.FailNext(2, 503);
        using var first = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}", Alice);
        using var second = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}", Alice);
        using var third = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}", Alice);
        _argus.Fault = ArgusFault.ServerError;
        using var error = await SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}", Alice);
        _argus.Fault = ArgusFault.Down;

        await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(HttpMethod.Get, $"api/v1/store/{Bucket}", Alice));
        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK, HttpStatusCode.InternalServerError],
            [first.StatusCode, second.StatusCode, third.StatusCode, error.StatusCode]);
    }

    [Fact]
    public async Task The_token_source_issues_bearer_tokens_the_server_accepts()
    {
        _argus.RequireAuth = true;
        _argus.AuthBasic = "issuer:secret";
        using var refused = await _http.GetAsync("auth", Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, "auth");
        request.Headers.Authorization = Basic("issuer", "secret");
        using var issued = await _http.SendAsync(request, Ct);
        var answer = JsonNode.Parse(await issued.Content.ReadAsStringAsync(Ct))!;

        using var listed = await SendAsync(
            HttpMethod.Get, $"api/v1/store/{Bucket}", Alice, new AuthenticationHeaderValue("Bearer", (string)answer["serviceAccessToken"]!));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(3600, (int)answer["expires_in"]!);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal(1, _argus.TokensIssued);
    }

    private static string Item(string id, long? ttl = 3600, string value = "v") =>
        ItemWithData(id, new JsonObject { ["value"] = value }, ttl);

    private static string ItemWithData(string id, JsonObject data, long? ttl = 3600)
    {
        var item = new JsonObject { ["id"] = id, ["data"] = data };
        if (ttl is not null)
        {
            item["ttl"] = ttl;
        }

        return item.ToJsonString();
    }

    private static JsonObject Nested(int depth)
    {
        var data = new JsonObject { ["leaf"] = 1 };
        for (var i = 1; i < depth; i++)
        {
            data = new JsonObject { ["n"] = data };
        }

        return data;
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private Task<HttpResponseMessage> PutAsync(string id, string body, string? owner, AuthenticationHeaderValue? auth = null) =>
        SendAsync(HttpMethod.Put, $"api/v1/store/{Bucket}/{id}", owner, auth, Json(body));

    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, string? owner, AuthenticationHeaderValue? auth = null, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (owner is not null)
        {
            request.Headers.Add("X-Xmidt-Owner", owner);
        }

        request.Headers.Authorization = auth;
        return await _http.SendAsync(request, Ct);
    }

    private async Task<JsonArray> ListAsync(string bucket, string? owner, AuthenticationHeaderValue? auth = null)
    {
        using var response = await SendAsync(HttpMethod.Get, $"api/v1/store/{bucket}", owner, auth);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsArray();
    }
}
