using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Hosting.Tests;

public sealed class EventFlowTests : SinkAndDatabaseTest
{
    private const string NornSecret = TestNorns.Secret;

    [Fact]
    public async Task Registered_norn_receives_a_signed_event_as_wrp_json_and_other_devices_are_not_delivered()
    {
        await using var host = await StartHostAsync();
        using var created = await host.SendAsync(HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/hook"), secret: NornSecret).ToJson());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        // The other device's event goes first: routed (wrongly) to the norn, it would be delivered before the next one.
        var other = TestEvents.DeviceStatus("mac:aabbccddeeff", transaction: "txn-other");
        using (var response = await host.PostEventAsync(WrpMsgPack.Encode(other)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.Equal(1, host.Metrics.EventsReceived("no_norns")); // routed before the 202: no norn of that device

        var message = TestEvents.DeviceStatus("mac:112233445566");
        using (var response = await host.PostEventAsync(WrpMsgPack.Encode(message)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // One worker per norn delivers in order: the first request is this event, and it is the only one.
        var delivered = (await Sink.WaitForRequestsAsync(1, "/hook")).Single();
        Assert.Equal("application/json", delivered.Header("Content-Type")?.Split(';')[0]);
        Assert.Equal(WrpJson.Encode(message), delivered.Body);
        Assert.Equal("txn-1", delivered.Header("X-Webpa-Transaction-Id"));

        // The product's signatures, checked independently with the BCL.
        var sha1 = "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(NornSecret), delivered.Body));
        Assert.Equal(sha1, delivered.Header("X-Webpa-Signature"));
        var id = delivered.Header("webhook-id")!;
        var timestamp = delivered.Header("webhook-timestamp")!;
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(delivered.Body).ToArray();
        var v1 = "v1," + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(NornSecret), signed));
        Assert.Contains(v1, delivered.Header("webhook-signature")!.Split(' '));
    }

    [Fact]
    public async Task A_secret_changed_while_the_norn_is_active_signs_the_next_delivery()
    {
        // The active norn's dispatcher keeps a signer (revealed secret, keyed HMACs) between sends; a new version of the
        // norn must not be signed with the old one.
        await using var host = await StartHostAsync();
        using var created = await host.SendAsync(HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/rotate"), secret: "first-secret-0123456789").ToJson());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;

        using (var response = await host.PostEventAsync(WrpMsgPack.Encode(TestEvents.DeviceStatus("mac:112233445566", transaction: "txn-a"))))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        AssertSigned((await Sink.WaitForRequestsAsync(1, "/rotate"))[0], "first-secret-0123456789");

        using var put = await host.SendAsync(HttpMethod.Put, $"norns/{id}", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/rotate"), secret: "second-secret-9876543210").ToJson());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using (var response = await host.PostEventAsync(WrpMsgPack.Encode(TestEvents.DeviceStatus("mac:112233445566", transaction: "txn-b"))))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        AssertSigned((await Sink.WaitForRequestsAsync(2, "/rotate"))[1], "second-secret-9876543210");

        static void AssertSigned(RecordedRequest delivered, string secret)
        {
            var key = Encoding.UTF8.GetBytes(secret);
            Assert.Equal("sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(key, delivered.Body)), delivered.Header("X-Webpa-Signature"));
            var signed = Encoding.UTF8.GetBytes($"{delivered.Header("webhook-id")}.{delivered.Header("webhook-timestamp")}.").Concat(delivered.Body).ToArray();
            Assert.Contains("v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)), delivered.Header("webhook-signature")!.Split(' '));
        }
    }

    [Fact]
    public async Task Json_events_are_accepted_too()
    {
        await using var host = await StartHostAsync();
        using var created = await host.SendAsync(HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/json"), secret: NornSecret).ToJson());
        var message = TestEvents.DeviceStatus("mac:112233445566");
        using var response = await host.PostEventAsync(WrpJson.Encode(message), "application/json; charset=utf-8");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var delivered = (await Sink.WaitForRequestsAsync(1, "/json")).Single();
        Assert.Equal(WrpJson.Encode(message), delivered.Body);
    }

    [Fact]
    public async Task Bad_events_get_403_400_413_415_never_5xx()
    {
        await using var host = await StartHostAsync(o => o.Events += e => e.MaxBodyBytes = 1024);
        var body = WrpMsgPack.Encode(TestEvents.DeviceStatus("mac:112233445566"));

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
            Assert.Contains("WRP", (await garbage.ReadJsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var invalid = WrpMsgPack.Encode(new WrpMessage { Type = MessageType.SimpleEvent, Source = "nonsense", Destination = "event:x" });
        using (var response = await host.PostEventAsync(invalid))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("source", (await response.ReadJsonAsync()).GetProperty("field").GetString());
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
        await using var host = await StartHostAsync(o =>
        {
            o.Clock = time;
            o.Engine += e => e.SweepInterval = TimeSpan.FromDays(1); // the router, not the sweeper, must stop it
        });
        using var created = await host.SendAsync(HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/expiring"), ttl: 60, secret: NornSecret).ToJson());
        var id = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;

        time.Advance(TimeSpan.FromSeconds(61));
        using (var response = await host.PostEventAsync(WrpMsgPack.Encode(TestEvents.DeviceStatus("mac:112233445566"))))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // Counted by the router before the 202: the event was dropped, never enqueued for delivery.
        Assert.Equal(1, host.Metrics.Drops(DropReasons.Expired));
        Assert.Equal(0, host.Metrics.QueueDepth);
        using var get = await host.SendAsync(HttpMethod.Get, $"norns/{id}", "alice");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using var list = await host.SendAsync(HttpMethod.Get, "norns", "alice");
        Assert.Equal(0, (await list.ReadJsonAsync()).GetArrayLength());
        Assert.Empty(Sink.RequestsTo("/expiring"));
    }

    [Fact]
    public async Task Norns_survive_a_restart_on_the_same_sqlite_file()
    {
        await using (var first = await StartHostAsync())
        {
            using var created = await first.SendAsync(HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/restart"), secret: NornSecret).ToJson());
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await using var second = await StartHostAsync();
        using var list = await second.SendAsync(HttpMethod.Get, "norns", "alice");
        Assert.Equal(1, (await list.ReadJsonAsync()).GetArrayLength());
        using var response = await second.PostEventAsync(WrpMsgPack.Encode(TestEvents.DeviceStatus("mac:112233445566")));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Single(await Sink.WaitForRequestsAsync(1, "/restart"));
    }

    [Fact]
    public async Task Prefix_maps_under_a_path()
    {
        await using var host = await StartHostAsync(o => o.Prefix = "/api/v1");
        using var created = await host.SendAsync(HttpMethod.Post, "api/v1/norns", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/p"), secret: NornSecret).ToJson());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("/api/v1/norns/", created.Headers.Location?.OriginalString, StringComparison.Ordinal);
        using var root = await host.SendAsync(HttpMethod.Get, "norns", "alice");
        Assert.Equal(HttpStatusCode.NotFound, root.StatusCode);
    }
}
