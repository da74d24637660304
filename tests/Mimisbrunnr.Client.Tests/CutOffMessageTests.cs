using System.Text;
using Mimisbrunnr.Client.Verification;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Client.Tests;

/// <summary>The cut-off notice, as the real server sends it when a consumer cannot keep up.</summary>
public sealed class CutOffMessageTests
{
    private const string CaduceusText =
        "Unfortunately, your endpoint is not able to keep up with the traffic being sent to it.  Due to this circumstance, all notification traffic is being cut off and dropped for a period of time.  Please increase your capacity to handle notifications, or reduce the number of notifications you have requested.";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_servers_cut_off_notice_verifies_and_reads_as_a_typed_message_and_tampering_is_caught()
    {
        await using var server = await TestServer.StartAsync(engine: o =>
        {
            o.Delivery.QueueSize = 1;
            o.Delivery.CutOffPeriod = TimeSpan.FromMinutes(5);
        });
        await using var sink = await SinkServer.StartAsync(Ct);
        var stuck = new TaskCompletionSource();
        sink.SetDefault("/slow", SinkResponse.HeldUntil(stuck.Task));
        var device = TestNorns.Mac(1);
        var (norn, _) = await server.ClientFor("alice").CreateOrUpdateAsync(
            TestNorns.HttpRequest(device, sink.Url("/slow"), failureUrl: sink.Url("/failure"), secret: TestNorns.Secret), Ct);

        // One event in flight (held by the consumer), one buffered, the third overflows the buffer of one.
        await server.PostEventAsync(TestEvents.DeviceStatus(device, transaction: "t1"));
        await sink.WaitForRequestsAsync(1, "/slow");
        await server.PostEventAsync(TestEvents.DeviceStatus(device, transaction: "t2"));
        await server.PostEventAsync(TestEvents.DeviceStatus(device, transaction: "t3"));
        var notice = Assert.Single(await sink.WaitForRequestsAsync(1, "/failure"));

        foreach (var scheme in new[] { DeliverySignatureScheme.StandardWebhooks, DeliverySignatureScheme.WebpaSignature, DeliverySignatureScheme.Both })
        {
            var message = new DeliveryVerifier(TestNorns.Secret, new() { Scheme = scheme }).VerifyCutOffMessage(notice.Header, notice.Body);
            Assert.Equal(CaduceusText, message.Text);
            Assert.Equal(TimeSpan.FromMinutes(5), message.CutOffPeriod);
            Assert.Equal(1, message.QueueSize);
            Assert.Equal(1, message.WorkerCount);
            Assert.Equal(norn.Id, message.Norn.Id);
            Assert.Equal(device, message.Norn.DeviceId);
            Assert.Equal(norn.ExpiresAt, message.Norn.ExpiresAt);
            Assert.Equal(sink.Url("/slow").ToString(), message.Norn.Destination.Http!.Url);
            Assert.Equal(sink.Url("/failure").ToString(), message.Norn.Destination.Http.FailureUrl);
            Assert.True(message.Norn.Destination.Http.HasSecret);
        }

        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(notice.Body).Replace("\"queue_size\":1", "\"queue_size\":9", StringComparison.Ordinal));
        Assert.NotEqual(notice.Body, tampered);
        Assert.Throws<DeliverySignatureException>(() => new DeliveryVerifier(TestNorns.Secret).VerifyCutOffMessage(notice.Header, tampered));
        Assert.Throws<DeliverySignatureException>(() => new DeliveryVerifier("wrong").VerifyCutOffMessage(notice.Header, notice.Body));
        stuck.SetResult();
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"text\":\"x\"}")]
    [InlineData("{\"text\":\"x\",\"norn\":{\"id\":\"a\",\"deviceId\":\"mac:112233445566\",\"expiresAt\":\"2030-01-01T00:00:00Z\",\"destination\":{},\"createdAt\":\"2030-01-01T00:00:00Z\",\"updatedAt\":\"2030-01-01T00:00:00Z\"},\"cut_off_period\":\"soon\",\"queue_size\":1,\"worker_count\":1}")]
    public void An_authentic_body_that_is_not_a_notice_is_an_undecodable_body(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var signature = EventSigning.Sign("s", body);
        var verifier = new DeliveryVerifier("s", new() { Scheme = DeliverySignatureScheme.WebpaSignature });
        Assert.Throws<DeliveryBodyException>(() => verifier.VerifyCutOffMessage(name => name == "X-Webpa-Signature" ? signature : null, body));
    }

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("5m0s", 300_000)]
    [InlineData("1h0m0s", 3_600_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("250ms", 250)]
    [InlineData("0", 0)]
    [InlineData("-2s", -2_000)]
    [InlineData("1.5h", 5_400_000)]
    public void Go_durations_read_as_go_writes_them(string text, long milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Fact]
    public void Go_durations_below_a_millisecond_keep_their_ticks()
    {
        Assert.True(GoDuration.TryParse("1µs", out var micro));
        Assert.Equal(TimeSpan.FromTicks(10), micro);
        Assert.True(GoDuration.TryParse("300ns", out var nano));
        Assert.Equal(TimeSpan.FromTicks(3), nano);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("s")]
    [InlineData("10 s")]
    [InlineData("10d")]
    [InlineData("1..5s")]
    [InlineData("99999999999999999999h")]
    public void Go_durations_refuse_what_go_refuses(string text) => Assert.False(GoDuration.TryParse(text, out _));
}
