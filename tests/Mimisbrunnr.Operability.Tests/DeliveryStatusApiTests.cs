using System.Net;
using System.Text.Json;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>The delivery status on the <c>/norns</c> API: on <c>GET /norns/{id}</c> only, and only for the owner.</summary>
public sealed class DeliveryStatusApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_one_carries_the_delivery_status_the_list_does_not_and_attempts_are_the_owners_only()
    {
        await using var sink = await SinkServer.StartAsync(Ct);
        await using var host = await MimisbrunnrTestHost.StartAsync(o => o.Engine = options => options.InstanceName = "api-instance");
        var (created, id) = await host.CreateNornAsync("alice", TestNorns.HttpRequest("mac:112233445566", sink.Url("/hook"), secret: TestNorns.Secret));
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus("mac:112233445566", transaction: "api-1")));
        await sink.WaitForRequestsAsync(1, "/hook");

        var norn = await Eventually.ValueAsync(
            () => ReadAsync(host, $"norns/{id}", "alice"),
            n => n.GetProperty("delivery").GetProperty("delivered").GetInt64() == 1,
            "the delivery in GET /norns/{id}",
            TimeSpan.FromSeconds(30));
        var delivery = norn.GetProperty("delivery");
        Assert.Equal("api-instance", delivery.GetProperty("instance").GetString());
        Assert.Equal("active", delivery.GetProperty("state").GetString());
        Assert.False(delivery.TryGetProperty("cutOffUntil", out _)); // nulls are left out
        Assert.False(delivery.TryGetProperty("lastFailure", out _));

        var list = await ReadAsync(host, "norns", "alice");
        Assert.False(Assert.Single(list.EnumerateArray()).TryGetProperty("delivery", out _));

        var attempts = await ReadAsync(host, $"norns/{id}/attempts", "alice");
        var attempt = Assert.Single(attempts.GetProperty("attempts").EnumerateArray());
        Assert.Equal(200, attempt.GetProperty("statusCode").GetInt32());
        Assert.Equal("api-1", attempt.GetProperty("transactionId").GetString());

        using (var anonymous = await host.SendAsync(HttpMethod.Get, $"norns/{id}/attempts", user: null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (var someoneElse = await host.SendAsync(HttpMethod.Get, $"norns/{id}/attempts", "mallory"))
        {
            Assert.Equal(HttpStatusCode.NotFound, someoneElse.StatusCode);
            Assert.Equal("application/problem+json", someoneElse.Content.Headers.ContentType?.MediaType);
        }

        using var missing = await host.SendAsync(HttpMethod.Get, $"norns/{new string('0', 64)}/attempts", "alice");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private static async Task<JsonElement> ReadAsync(MimisbrunnrTestHost host, string path, string user)
    {
        using var response = await host.SendAsync(HttpMethod.Get, path, user);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return document.RootElement.Clone();
    }
}
