using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
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
        await using var host = await TestHost.StartAsync(Database.Path);
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
        await using var host = await TestHost.StartAsync(Database.Path, events: o => o.DefaultPartnerIds.Add("comcast"));
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
        await using var host = await TestHost.StartAsync(Database.Path);

        using var refused = await SendAsync(host, HttpMethod.Post, "norns", "alice", partners: "", NornJson.Http(Device, Sink.Url("/x")));
        using var created = await SendAsync(host, HttpMethod.Post, "norns", "alice", partners: "sky,comcast", NornJson.Http(Device, Sink.Url("/x")));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await NornJson.ReadAsync(refused);
        Assert.Equal(("partnerIds", "required"), (problem.GetProperty("field").GetString(), problem.GetProperty("rule").GetString()));
        var norn = await NornJson.ReadAsync(created);
        Assert.Equal(["sky", "comcast"], norn.GetProperty("partnerIds").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task With_partner_ids_turned_off_callers_need_none_and_norns_receive_every_event()
    {
        await using var host = await TestHost.StartAsync(
            Database.Path, services: s => s.Configure<MimisbrunnrApiOptions>(o => o.DisablePartnerIds = true));

        using var created = await SendAsync(host, HttpMethod.Post, "norns", "alice", partners: "", NornJson.Http(Device, Sink.Url("/all")));
        await PostAsync(host, Event("t-other", ["other"]));
        await PostAsync(host, Event("t-none", []));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.False((await NornJson.ReadAsync(created)).TryGetProperty("partnerIds", out _));
        Assert.Equal(["t-other", "t-none"], await TransactionsAsync("/all", 2));
    }

    [Fact]
    public async Task The_device_policy_of_the_host_decides_who_may_register_for_a_device()
    {
        await using var host = await TestHost.StartAsync(Database.Path, services: s =>
        {
            s.AddAuthorization(o => o.AddPolicy(MimisbrunnrAuthorization.DevicePolicy, p => p.AddRequirements(new InventoryRequirement())));
            s.AddSingleton<IAuthorizationHandler, InventoryHandler>();
        });

        using var allowed = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", NornJson.Http("MAC:11-22-33-44-55-66", Sink.Url("/a")));
        using var denied = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", NornJson.Http("mac:aabbccddeeff", Sink.Url("/a")));
        var id = (await NornJson.ReadAsync(allowed)).GetProperty("id").GetString();
        using var deniedUpdate = await SendAsync(host, HttpMethod.Put, $"norns/{id}", "mallory", "p", NornJson.Http(Device, Sink.Url("/a")));

        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var problem = await NornJson.ReadAsync(denied);
        Assert.Contains("mac:aabbccddeeff", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("application/problem+json", denied.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, deniedUpdate.StatusCode); // mallory may see no device at all
    }

    [Fact]
    public async Task Spellings_of_one_device_and_destination_are_one_norn_and_one_delivery_per_event()
    {
        await using var host = await TestHost.StartAsync(Database.Path);
        var url = Sink.Url("/one");
        var shouting = new UriBuilder(url) { Scheme = "HTTP", Host = "127.0.0.1" }.Uri.ToString().Replace("http://", "HTTP://", StringComparison.Ordinal);

        using var first = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", NornJson.Http("uuid:ABC", url));
        using var second = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", NornJson.Http("UUID:abc", new Uri(shouting)));
        using var other = await SendAsync(host, HttpMethod.Post, "norns", "bob", "p", NornJson.Http("uuid:Abc", url));
        using var list = await SendAsync(host, HttpMethod.Get, "norns?deviceId=uuid:aBc", "alice", "p");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal((await NornJson.ReadAsync(first)).GetProperty("id").GetString(), (await NornJson.ReadAsync(second)).GetProperty("id").GetString());
        Assert.Single((await NornJson.ReadAsync(list)).EnumerateArray());

        await PostAsync(host, Event("t-1", ["p"], "uuid:abc"));
        await PostAsync(host, Event("t-2", ["p"], "uuid:ABC"));
        Assert.Equal(["t-1", "t-2"], await TransactionsAsync("/one", 2));
    }

    [Fact]
    public async Task The_device_quota_counts_only_the_callers_norns()
    {
        await using var host = await TestHost.StartAsync(Database.Path, engine: o => o.Quotas.MaxNornsPerDevice = 2);

        for (var i = 0; i < 2; i++)
        {
            using var filler = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", NornJson.Http(Device, Sink.Url($"/a{i}")));
            Assert.Equal(HttpStatusCode.Created, filler.StatusCode);
        }

        using var aliceThird = await SendAsync(host, HttpMethod.Post, "norns", "alice", "p", NornJson.Http(Device, Sink.Url("/a2")));
        using var bobFirst = await SendAsync(host, HttpMethod.Post, "norns", "bob", "p", NornJson.Http(Device, Sink.Url("/b0")));

        Assert.Equal(HttpStatusCode.TooManyRequests, aliceThird.StatusCode);
        Assert.Equal("perDevice", (await NornJson.ReadAsync(aliceThird)).GetProperty("rule").GetString());
        Assert.Equal(HttpStatusCode.Created, bobFirst.StatusCode);
    }

    private static WrpMessage Event(string transaction, string[] partners, string device = Device) => new()
    {
        Type = MessageType.SimpleEvent,
        Source = $"{device}/parodus",
        Destination = $"event:device-status/{device}/online",
        TransactionUuid = transaction,
        PartnerIds = partners,
    };

    private static async Task PostAsync(TestHost host, WrpMessage message)
    {
        using var response = await host.PostEventAsync(WrpMsgPack.Encode(message));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task RegisterAsync(TestHost host, string user, string partners, Uri url)
    {
        using var response = await SendAsync(host, HttpMethod.Post, "norns", user, partners, NornJson.Http(Device, url));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static Task<HttpResponseMessage> SendAsync(TestHost host, HttpMethod method, string path, string user, string partners, string? json = null)
    {
        var request = host.Request(method, path, user, json);
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
