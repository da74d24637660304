using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>Two tenants on one host: partner ids, the device hook, one identity per norn, quotas per owner.</summary>
public sealed class TenancyTests : SinkAndDatabaseTest
{
    private const string Device = "mac:112233445566";

    [Fact]
    public async Task Two_tenants_on_one_device_each_receive_only_their_partners_events()
    {
        await using var host = await StartHostAsync();
        await RegisterAsync(host, "alice", "comcast", Sink.Url("/alice"));
        await RegisterAsync(host, "bob", "sky", Sink.Url("/bob"));
        await RegisterAsync(host, "ops", "*", Sink.Url("/ops"));

        await PostAsync(host, Event("t-comcast", ["comcast"]));
        await PostAsync(host, Event("t-sky", ["sky"]));
        await PostAsync(host, Event("t-both", ["sky", "comcast"]));
        await PostAsync(host, Event("t-other", ["other"]));
        await PostAsync(host, Event("t-marker", ["comcast", "sky"]));

        // The operator's norn sees everything, so once it has the marker, every earlier event has been routed.
        await Sink.WaitForRequestsAsync(5, "/ops");
        Assert.Equal(["t-comcast", "t-both", "t-marker"], await TransactionsAsync("/alice", 3));
        Assert.Equal(["t-sky", "t-both", "t-marker"], await TransactionsAsync("/bob", 3));
        Assert.Equal(["t-comcast", "t-sky", "t-both", "t-other", "t-marker"], await TransactionsAsync("/ops", 5));
    }

    [Fact]
    public async Task An_event_without_partner_ids_carries_the_default_list()
    {
        await using var host = await StartHostAsync(o => o.Events += e => e.DefaultPartnerIds.Add("comcast"));
        await RegisterAsync(host, "alice", "comcast", Sink.Url("/alice"));
        await RegisterAsync(host, "bob", "sky", Sink.Url("/bob"));

        await PostAsync(host, Event("t-none", []));
        await PostAsync(host, Event("t-marker", ["sky"]));

        await Sink.WaitForRequestsAsync(1, "/bob");
        Assert.Equal(["t-none"], await TransactionsAsync("/alice", 1));
        Assert.Equal(["t-marker"], await TransactionsAsync("/bob", 1));
    }

    [Fact]
    public async Task A_caller_without_partner_ids_gets_400_and_the_norn_shows_the_callers_partner_ids()
    {
        await using var host = await StartHostAsync();

        using var refused = await SendAsync(host, HttpMethod.Post, "norns", "alice", partners: "", TestNorns.HttpRequest(Device, Sink.Url("/x"), secret: TestNorns.Secret).ToJson());
        using var created = await SendAsync(host, HttpMethod.Post, "norns", "alice", partners: "sky,comcast", TestNorns.HttpRequest(Device, Sink.Url("/x"), secret: TestNorns.Secret).ToJson());

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.ReadJsonAsync();
        Assert.Equal(("partnerIds", "required"), (problem.GetProperty("field").GetString(), problem.GetProperty("rule").GetString()));
        var norn = await created.ReadJsonAsync();
        Assert.Equal(["sky", "comcast"], norn.GetProperty("partnerIds").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task With_partner_ids_turned_off_callers_need_none_and_norns_receive_every_event()
    {
        await using var host = await StartHostAsync(o => o.Mimisbrunnr += b => b.ConfigureApi(a => a.DisablePartnerIds = true));

        using var created = await SendAsync(host, HttpMethod.Post, "norns", "alice", partners: "", TestNorns.HttpRequest(Device, Sink.Url("/all"), secret: TestNorns.Secret).ToJson());
        await PostAsync(host, Event("t-other", ["other"]));
        await PostAsync(host, Event("t-none", []));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.False((await created.ReadJsonAsync()).TryGetProperty("partnerIds", out _));
        Assert.Equal(["t-other", "t-none"], await TransactionsAsync("/all", 2));
    }

    [Fact]
    public async Task The_device_policy_of_the_host_decides_who_may_register_for_a_device()
    {
        await using var host = await StartHostAsync(o => o.Services += s =>
        {
            s.AddAuthorization(a => a.AddPolicy(MimisbrunnrAuthorization.DevicePolicy, p => p.AddRequirements(new InventoryRequirement())));
            s.AddSingleton<IAuthorizationHandler, InventoryHandler>();
        });

        using var allowed = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", TestNorns.HttpRequest("MAC:11-22-33-44-55-66", Sink.Url("/a"), secret: TestNorns.Secret).ToJson());
        using var denied = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", TestNorns.HttpRequest("mac:aabbccddeeff", Sink.Url("/a"), secret: TestNorns.Secret).ToJson());
        var id = (await allowed.ReadJsonAsync()).GetProperty("id").GetString();
        using var deniedUpdate = await SendAsync(host, HttpMethod.Put, $"norns/{id}", "mallory", "p", TestNorns.HttpRequest(Device, Sink.Url("/a"), secret: TestNorns.Secret).ToJson());

        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var problem = await denied.ReadJsonAsync();
        Assert.Contains("mac:aabbccddeeff", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("application/problem+json", denied.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, deniedUpdate.StatusCode); // mallory may see no device at all
    }

    [Fact]
    public async Task Spellings_of_one_device_and_destination_are_one_norn_and_one_delivery_per_event()
    {
        await using var host = await StartHostAsync();
        var url = Sink.Url("/one");
        var shouting = new UriBuilder(url) { Scheme = "HTTP", Host = "127.0.0.1" }.Uri.ToString().Replace("http://", "HTTP://", StringComparison.Ordinal);

        using var first = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", TestNorns.HttpRequest("uuid:ABC", url, secret: TestNorns.Secret).ToJson());
        using var second = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", TestNorns.HttpRequest("UUID:abc", new Uri(shouting), secret: TestNorns.Secret).ToJson());
        using var other = await SendAsync(host, HttpMethod.Post, "norns", "bob", "p", TestNorns.HttpRequest("uuid:Abc", url, secret: TestNorns.Secret).ToJson());
        using var list = await SendAsync(host, HttpMethod.Get, "norns?deviceId=uuid:aBc", "alice", "p");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal((await first.ReadJsonAsync()).GetProperty("id").GetString(), (await second.ReadJsonAsync()).GetProperty("id").GetString());
        Assert.Equal("uuid:ABC", (await second.ReadJsonAsync()).GetProperty("deviceId").GetString()); // as first registered
        Assert.Single((await list.ReadJsonAsync()).EnumerateArray());

        await PostAsync(host, Event("t-1", ["p"], "uuid:abc"));
        await PostAsync(host, Event("t-2", ["p"], "uuid:ABC"));
        Assert.Equal(["t-1", "t-2"], await TransactionsAsync("/one", 2));
    }

    [Fact]
    public async Task The_device_quota_counts_only_the_callers_norns()
    {
        await using var host = await StartHostAsync(o => o.Engine += e => e.Quotas.MaxNornsPerDevice = 2);

        for (var i = 0; i < 2; i++)
        {
            using var filler = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", TestNorns.HttpRequest(Device, Sink.Url($"/a{i}"), secret: TestNorns.Secret).ToJson());
            Assert.Equal(HttpStatusCode.Created, filler.StatusCode);
        }

        using var aliceThird = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", TestNorns.HttpRequest(Device, Sink.Url("/a2"), secret: TestNorns.Secret).ToJson());
        using var bobFirst = await SendAsync(host, HttpMethod.Post, "norns", "bob", "p", TestNorns.HttpRequest(Device, Sink.Url("/b0"), secret: TestNorns.Secret).ToJson());

        Assert.Equal(HttpStatusCode.TooManyRequests, aliceThird.StatusCode);
        Assert.Equal("perDevice", (await aliceThird.ReadJsonAsync()).GetProperty("rule").GetString());
        Assert.Equal(HttpStatusCode.Created, bobFirst.StatusCode);
    }

    private static WrpMessage Event(string transaction, string[] partners, string device = Device) =>
        TestEvents.DeviceStatus(device, transaction: transaction, partnerIds: partners);

    private static async Task PostAsync(MimisbrunnrTestHost host, WrpMessage message) =>
        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(message));

    private async Task RegisterAsync(MimisbrunnrTestHost host, string user, string partners, Uri url)
    {
        using var response = await SendAsync(host, HttpMethod.Post, "norns", user, partners, TestNorns.HttpRequest(Device, url, secret: TestNorns.Secret).ToJson());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static Task<HttpResponseMessage> SendAsync(MimisbrunnrTestHost host, HttpMethod method, string path, string user, string partners, string? json = null)
    {
        var request = MimisbrunnrTestHost.CreateRequest(method, path, user, json);
        request.Headers.Add(TestUserAuthenticationHandler.PartnersHeader, partners);
        return host.Client.SendAsync(request);
    }

    private async Task<string[]> TransactionsAsync(string path, int count)
    {
        var requests = await Sink.WaitForRequestsAsync(count, path);
        Assert.Equal(count, Sink.RequestsTo(path).Count);
        return [.. requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("transaction_uuid").GetString()!)];
    }

    private sealed class InventoryRequirement : IAuthorizationRequirement;

    /// <summary>The host's inventory: alice may see mac:112233445566 only; nobody else may see anything.</summary>
    private sealed class InventoryHandler : AuthorizationHandler<InventoryRequirement, string>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, InventoryRequirement requirement, string resource)
        {
            if (context.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value == "alice"
                && resource == Device)
            {
                context.Succeed(requirement);
            }

            return Task.CompletedTask;
        }
    }
}
