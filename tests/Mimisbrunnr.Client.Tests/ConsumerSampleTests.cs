using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.ConsumerSample;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Client.Tests;

/// <summary>samples/Mimisbrunnr.ConsumerSample, started in-process through <see cref="ConsumerApp.Create"/>, against the real server.</summary>
public sealed class ConsumerSampleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_sample_registers_verifies_a_delivery_rejects_a_forgery_renews_and_deletes_on_shutdown()
    {
        await using var server = await TestServer.StartAsync();
        var device = TestNorns.Mac(77);
        await using var app = ConsumerApp.Create(
        [
            "--urls=http://127.0.0.1:0",
            $"--Consumer:ServerUrl={server.BaseAddress}",
            "--Consumer:User=alice",
            $"--Consumer:Password={TestServer.Users["alice"]}",
            $"--Consumer:DeviceId={device}",
            "--Consumer:Ttl=00:00:03",
            "--Consumer:Secret=",
            "--Consumer:PublicUrl=",
            "--Consumer:ContentType=application/msgpack",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync(Ct);
        var alice = server.ClientFor("alice");
        var renewal = app.Services.GetRequiredService<NornRenewalService>();
        string nornId;
        try
        {
            // Registered through the SDK, pointing at the sample's own /deliveries and /cutoff, signed.
            await Eventually.TrueAsync(() => renewal.Norn is not null, "the registration");
            var first = renewal.Norn!;
            nornId = first.Id;
            var registered = await alice.GetAsync(nornId, Ct);
            Assert.NotNull(registered);
            var sample = new Uri(app.Urls.First().TrimEnd('/') + "/");
            Assert.Equal(new Uri(sample, "deliveries").ToString(), registered.Destination.Http!.Url);
            Assert.Equal(new Uri(sample, "cutoff").ToString(), registered.Destination.Http.FailureUrl);
            Assert.True(registered.Destination.Http.HasSecret);
            Assert.Equal(device, registered.DeviceId);

            // An event posted to the server arrives at the sample, verified and decoded.
            var message = TestEvents.DeviceStatus(device, transaction: "sample-1");
            await server.PostEventAsync(message);
            var received = app.Services.GetRequiredService<ReceivedDeliveries>();
            await Eventually.TrueAsync(() => received.Deliveries.Count > 0, "the delivery at the sample");
            var delivery = Assert.Single(received.Deliveries);
            Assert.Equal(message, delivery.Message);
            Assert.Equal("application/msgpack", delivery.Delivery.ContentType);
            Assert.Equal(device, delivery.Delivery.DeviceId);

            // A forged delivery (right shape, no valid signature) is refused and not recorded.
            using (var http = new HttpClient())
            using (var forged = new HttpRequestMessage(HttpMethod.Post, new Uri(sample, "deliveries")))
            {
                forged.Content = new ByteArrayContent(WrpMsgPack.Encode(TestEvents.DeviceStatus(device, transaction: "forged")));
                forged.Content.Headers.ContentType = new MediaTypeHeaderValue("application/msgpack");
                forged.Headers.Add("webhook-id", "msg_forged");
                forged.Headers.Add("webhook-timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
                forged.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(new byte[32]));
                using var answer = await http.SendAsync(forged, Ct);
                Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
            }

            Assert.Single(received.Deliveries);

            // Renewed before it expires (ttl 3 s: every 1.5 s).
            await Eventually.TrueAsync(async () => (await alice.GetAsync(nornId, Ct))?.ExpiresAt > first.ExpiresAt, "a renewal");
        }
        finally
        {
            await app.StopAsync(Ct);
        }

        // Deleted on shutdown.
        Assert.Null(await alice.GetAsync(nornId, Ct));
    }

    [Fact]
    public void The_sample_refuses_to_start_without_a_server_url_or_a_device()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ConsumerApp.Create(["--Consumer:ServerUrl=", "--Consumer:DeviceId="]));
        Assert.StartsWith("Invalid configuration", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Consumer:ServerUrl", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Consumer:DeviceId", ex.Message, StringComparison.Ordinal);
    }
}
