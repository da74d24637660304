using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Hosting.Tests;

public sealed class EventFlowTests : SinkAndDatabaseTest
{
    private const string NornSecret = "norn-secret";
    internal static WrpMessage Event(string device, string eventName = "online", string transaction = "txn-1") => new()
    {
        Type = MessageType.SimpleEvent,
        Source = $"{device}/parodus",
        Destination = $"event:device-status/{device}/{eventName}",
        TransactionUuid = transaction,
        ContentType = "application/json",
        Payload = Encoding.UTF8.GetBytes("{\"status\":\"" + eventName + "\"}"),
        Metadata = new Dictionary<string, string> { ["/boot-time"] = "1542834188" },
    };

    [Fact]
    public async Task Registered_norn_receives_a_signed_event_as_wrp_json_and_other_devices_are_not_delivered()
    {
        await using var host = await TestHost.StartAsync(Database.Path);
        using var created = await host.SendAsync(HttpMethod.Post, "norns", "alice", NornJson.Http("mac:112233445566", Sink.Url("/hook")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var other = Event("mac:aabbccddeeff", transaction: "txn-other");
        using (var response = await host.PostEventAsync(WrpMsgPack.Encode(other)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var message = Event("mac:112233445566");
        using (var response = await host.PostEventAsync(WrpMsgPack.Encode(message)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var delivered = (await Sink.WaitForRequestsAsync(1, "/hook")).Single();
        Assert.Equal("application/json", delivered.Header("Content-Type")?.Split(';')[0]);
        Assert.Equal(WrpJson.Encode(message), delivered.Body);
        Assert.Equal("txn-1", delivered.Header("X-Webpa-Transaction-Id"));
        var sha1 = "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(NornSecret), delivered.Body));
        Assert.Equal(sha1, delivered.Header("X-Webpa-Signature"));
        var id = delivered.Header("webhook-id")!;
        var timestamp = delivered.Header("webhook-timestamp")!;
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(delivered.Body).ToArray();
        var v1 = "v1," + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(NornSecret), signed));
        Assert.Contains(v1, delivered.Header("webhook-signature")!.Split(' '));

        // Give the other device's event time to arrive if it had been (wrongly) routed.
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Single(Sink.RequestsTo("/hook"));
    }

    [Fact]
    public async Task Json_events_are_accepted_too()
    {
        await using var host = await TestHost.StartAsync(Database.Path);
        using var created = await host.SendAsync(HttpMethod.Post, "norns", "alice", NornJson.Http("mac:112233445566", Sink.Url("/json")));
        var message = Event("mac:112233445566");
        using var response = await host.PostEventAsync(WrpJson.Encode(message), "application/json; charset=utf-8");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var delivered = (await Sink.WaitForRequestsAsync(1, "/json")).Single();
        Assert.Equal(WrpJson.Encode(message), delivered.Body);
    }

    [Fact]
    public async Task Bad_events_get_403_400_413_415_never_5xx()
    {
        await using var host = await TestHost.StartAsync(Database.Path, events: o => o.MaxBodyBytes = 1024);
        var body = WrpMsgPack.Encode(Event("mac:112233445566"));

        using (var unsigned = await host.PostEventAsync(body, secret: null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        }

        using (var wrong = await host.PostEventAsync(body, secret: "not-the-secret"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        }

        using (var garbage = await host.PostEventAsync([0x91, 0xc1, 0xff, 0x00]))
        {
            Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
            Assert.Contains("WRP", (await NornJson.ReadAsync(garbage)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var invalid = WrpMsgPack.Encode(new WrpMessage { Type = MessageType.SimpleEvent, Source = "nonsense", Destination = "event:x" });
        using (var response = await host.PostEventAsync(invalid))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("source", (await NornJson.ReadAsync(response)).GetProperty("field").GetString());
        }

        using (var tooLarge = await host.PostEventAsync(new byte[2048]))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        }

        using (var wrongType = await host.PostEventAsync(body, "text/plain"))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        }

        foreach (var type in new[] { "application/wrp", "application/x-msgpack" })
        {
            using var accepted = await host.PostEventAsync(body, type);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }
    }

    [Fact]
    public async Task Expired_norns_are_not_delivered_and_gone_from_get()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await TestHost.StartAsync(Database.Path, services: s => s.AddSingleton<TimeProvider>(time));
        using var created = await host.SendAsync(HttpMethod.Post, "norns", "alice", NornJson.Http("mac:112233445566", Sink.Url("/expiring"), ttl: 60));
        var id = (await NornJson.ReadAsync(created)).GetProperty("id").GetString()!;

        time.Advance(TimeSpan.FromSeconds(61));
        using (var response = await host.PostEventAsync(WrpMsgPack.Encode(Event("mac:112233445566"))))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        using var get = await host.SendAsync(HttpMethod.Get, $"norns/{id}", "alice");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var list = await host.SendAsync(HttpMethod.Get, "norns", "alice");
        Assert.Equal(0, (await NornJson.ReadAsync(list)).GetArrayLength());
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Empty(Sink.RequestsTo("/expiring"));
    }

    [Fact]
    public async Task Norns_survive_a_restart_on_the_same_sqlite_file()
    {
        await using (var first = await TestHost.StartAsync(Database.Path))
        {
            using var created = await first.SendAsync(HttpMethod.Post, "norns", "alice", NornJson.Http("mac:112233445566", Sink.Url("/restart")));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await using var second = await TestHost.StartAsync(Database.Path);
        using var list = await second.SendAsync(HttpMethod.Get, "norns", "alice");
        Assert.Equal(1, (await NornJson.ReadAsync(list)).GetArrayLength());
        using var response = await second.PostEventAsync(WrpMsgPack.Encode(Event("mac:112233445566")));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Single(await Sink.WaitForRequestsAsync(1, "/restart"));
    }

    [Fact]
    public async Task Prefix_maps_under_a_path()
    {
        await using var host = await TestHost.StartAsync(Database.Path, prefix: "/api/v1");
        using var created = await host.SendAsync(HttpMethod.Post, "api/v1/norns", "alice", NornJson.Http("mac:112233445566", Sink.Url("/p")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("/api/v1/norns/", created.Headers.Location?.OriginalString, StringComparison.Ordinal);
        using var root = await host.SendAsync(HttpMethod.Get, "norns", "alice");
        Assert.Equal(HttpStatusCode.NotFound, root.StatusCode);
    }
}
