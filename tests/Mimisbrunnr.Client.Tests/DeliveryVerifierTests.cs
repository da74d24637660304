using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.Client.Verification;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Client.Tests;

/// <summary><see cref="DeliveryVerifier"/> against deliveries the real server made to a real sink.</summary>
public sealed class DeliveryVerifierTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private SinkServer _sink = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _sink = await SinkServer.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _sink.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/msgpack")]
    public async Task Wrp_deliveries_verify_under_every_scheme_and_decode_to_the_posted_message(string contentType)
    {
        var message = TestEvents.DeviceStatus(TestNorns.Mac(1), transaction: "txn-" + contentType);
        var delivery = await DeliverAsync(TestNorns.Mac(1), message, "/wrp", contentType);

        foreach (var scheme in new[] { DeliverySignatureScheme.StandardWebhooks, DeliverySignatureScheme.WebpaSignature, DeliverySignatureScheme.Both })
        {
            var verified = new DeliveryVerifier(TestNorns.Secret, new DeliveryVerifierOptions { Scheme = scheme }).Verify(delivery.Header, delivery.Body);
            Assert.Equal(contentType, verified.ContentType);
            Assert.True(verified.IsWrp);
            Assert.Equal(message, verified.DecodeWrp());
            Assert.Equal(delivery.Body, verified.Body.ToArray());
        }

        var checkedDelivery = new DeliveryVerifier(TestNorns.Secret).Verify(delivery.Header, delivery.Body);
        Assert.StartsWith("msg_", checkedDelivery.WebhookId, StringComparison.Ordinal);
        Assert.InRange(checkedDelivery.Timestamp!.Value, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal("device-status/" + TestNorns.Mac(1) + "/online", checkedDelivery.EventType);
        Assert.Equal(TestNorns.Mac(1), checkedDelivery.DeviceId);
        Assert.Equal(message.TransactionUuid, checkedDelivery.TransactionId);
        Assert.Equal(message.Source, checkedDelivery.Source);
        Assert.Equal(message.Destination, checkedDelivery.Destination);
        Assert.Equal("SimpleEvent", checkedDelivery.MessageType);
    }

    [Fact]
    public async Task Payload_deliveries_expose_the_raw_payload_with_its_own_content_type()
    {
        var message = TestEvents.DeviceStatus(TestNorns.Mac(2), contentType: "text/plain", payload: "hello, consumer");
        var delivery = await DeliverAsync(TestNorns.Mac(2), message, "/payload", "payload");

        var verified = new DeliveryVerifier(TestNorns.Secret).Verify(delivery.Header, delivery.Body);
        Assert.Equal("text/plain", verified.ContentType);
        Assert.False(verified.IsWrp);
        Assert.Equal("hello, consumer", Encoding.UTF8.GetString(verified.Body.Span));
        Assert.Equal(TestNorns.Mac(2), verified.DeviceId);
        var ex = Assert.Throws<DeliveryBodyException>(verified.DecodeWrp);
        Assert.Contains("payload", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_whsec_secret_is_used_as_its_decoded_key_as_the_server_signs()
    {
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var message = TestEvents.DeviceStatus(TestNorns.Mac(3));
        var delivery = await DeliverAsync(TestNorns.Mac(3), message, "/whsec", "application/json", secret);

        Assert.Equal(message, new DeliveryVerifier(secret).Verify(delivery.Header, delivery.Body).DecodeWrp());
        Assert.Equal(message, new DeliveryVerifier(secret, new() { Scheme = DeliverySignatureScheme.Both }).Verify(delivery.Header, delivery.Body).DecodeWrp());
    }

    [Fact]
    public async Task Tampered_bodies_and_wrong_secrets_are_rejected_under_every_scheme()
    {
        var delivery = await DeliverAsync(TestNorns.Mac(4), TestEvents.DeviceStatus(TestNorns.Mac(4)), "/tamper", "application/json");
        var tampered = delivery.Body.ToArray();
        tampered[^2] ^= 0x01;

        foreach (var scheme in new[] { DeliverySignatureScheme.StandardWebhooks, DeliverySignatureScheme.WebpaSignature, DeliverySignatureScheme.Both })
        {
            var options = new DeliveryVerifierOptions { Scheme = scheme };
            Assert.Throws<DeliverySignatureException>(() => new DeliveryVerifier(TestNorns.Secret, options).Verify(delivery.Header, tampered));
            Assert.Throws<DeliverySignatureException>(() => new DeliveryVerifier("another-secret", options).Verify(delivery.Header, delivery.Body));
            new DeliveryVerifier(TestNorns.Secret, options).Verify(delivery.Header, delivery.Body); // the original still passes
        }

        // A changed webhook-id breaks the Standard Webhooks signature (it is signed too).
        string? OtherId(string name) => name.Equals("webhook-id", StringComparison.OrdinalIgnoreCase) ? "msg_other" : delivery.Header(name);
        Assert.Throws<DeliverySignatureException>(() => new DeliveryVerifier(TestNorns.Secret).Verify(OtherId, delivery.Body));
    }

    [Fact]
    public async Task Stale_and_future_timestamps_are_rejected_and_the_tolerance_is_honoured()
    {
        var delivery = await DeliverAsync(TestNorns.Mac(5), TestEvents.DeviceStatus(TestNorns.Mac(5)), "/stale", "application/json");
        var signedAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(delivery.Header("webhook-timestamp")!, System.Globalization.CultureInfo.InvariantCulture));

        DeliveryVerifier At(DateTimeOffset now, TimeSpan? tolerance = null) =>
            new(TestNorns.Secret, new DeliveryVerifierOptions { TimeProvider = new FakeTimeProvider(now), Tolerance = tolerance ?? TimeSpan.FromMinutes(5) });

        At(signedAt + TimeSpan.FromMinutes(5)).Verify(delivery.Header, delivery.Body);
        var stale = Assert.Throws<DeliveryTimestampException>(() => At(signedAt + TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1)).Verify(delivery.Header, delivery.Body));
        Assert.Equal(signedAt, stale.Timestamp);
        Assert.Contains("before now", stale.Message, StringComparison.Ordinal);
        var future = Assert.Throws<DeliveryTimestampException>(() => At(signedAt - TimeSpan.FromMinutes(6)).Verify(delivery.Header, delivery.Body));
        Assert.Contains("after now", future.Message, StringComparison.Ordinal);
        At(signedAt + TimeSpan.FromHours(1), TimeSpan.FromHours(2)).Verify(delivery.Header, delivery.Body);

        // Caduceus's signature has no timestamp: only the Standard Webhooks check rejects a replay.
        new DeliveryVerifier(TestNorns.Secret, new() { Scheme = DeliverySignatureScheme.WebpaSignature, TimeProvider = new FakeTimeProvider(signedAt.AddDays(1)) })
            .Verify(delivery.Header, delivery.Body);

        string? Garbled(string name) => name.Equals("webhook-timestamp", StringComparison.OrdinalIgnoreCase) ? "yesterday" : delivery.Header(name);
        Assert.Throws<DeliveryTimestampException>(() => new DeliveryVerifier(TestNorns.Secret).Verify(Garbled, delivery.Body));
    }

    [Fact]
    public async Task Unsigned_deliveries_are_rejected_for_a_missing_signature()
    {
        var delivery = await DeliverAsync(TestNorns.Mac(6), TestEvents.DeviceStatus(TestNorns.Mac(6)), "/unsigned", "application/json", secret: null);
        Assert.NotNull(delivery.Header("webhook-id"));
        Assert.Null(delivery.Header("webhook-signature"));

        var standard = Assert.Throws<DeliverySignatureException>(() => new DeliveryVerifier(TestNorns.Secret).Verify(delivery.Header, delivery.Body));
        Assert.Contains("webhook-signature header is missing", standard.Message, StringComparison.Ordinal);
        var webpa = Assert.Throws<DeliverySignatureException>(
            () => new DeliveryVerifier(TestNorns.Secret, new() { Scheme = DeliverySignatureScheme.WebpaSignature }).Verify(delivery.Header, delivery.Body));
        Assert.Contains("X-Webpa-Signature header is missing", webpa.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_as_an_HttpHeaders_collection_with_several_signatures_and_the_codex_header_alone()
    {
        var delivery = await DeliverAsync(TestNorns.Mac(7), TestEvents.DeviceStatus(TestNorns.Mac(7)), "/headers", "application/msgpack");
        var real = delivery.Header("webhook-signature")!;
        var decoy = "v1," + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        using var request = new HttpRequestMessage();
        foreach (var (name, value) in delivery.Headers)
        {
            if (!name.Equals("webhook-signature", StringComparison.OrdinalIgnoreCase) && !name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        request.Headers.TryAddWithoutValidation("webhook-signature", decoy + " v1a,c2lnbmF0dXJl " + real);
        var verifier = new DeliveryVerifier(TestNorns.Secret);
        Assert.Null(verifier.Verify(request.Headers, delivery.Body).ContentType); // Content-Type lives in the content headers
        Assert.Equal(TestNorns.Mac(7), verifier.Verify(request.Headers, delivery.Body).DeviceId);

        request.Headers.Remove("webhook-signature");
        request.Headers.TryAddWithoutValidation("webhook-signature", [decoy, real]); // two header lines
        verifier.Verify(request.Headers, delivery.Body);

        request.Headers.Remove("webhook-signature");
        request.Headers.TryAddWithoutValidation("webhook-signature", real + " " + decoy); // the match need not be last
        verifier.Verify(request.Headers, delivery.Body);

        request.Headers.Remove("webhook-signature");
        request.Headers.TryAddWithoutValidation("webhook-signature", decoy);
        Assert.Throws<DeliverySignatureException>(() => verifier.Verify(request.Headers, delivery.Body));

        var webpa = new DeliveryVerifier(TestNorns.Secret, new() { Scheme = DeliverySignatureScheme.WebpaSignature });
        request.Headers.Remove("X-Webpa-Signature");
        webpa.Verify(request.Headers, delivery.Body); // X-Codex-Signature carries the same value
        request.Headers.Remove("X-Codex-Signature");
        Assert.Throws<DeliverySignatureException>(() => webpa.Verify(request.Headers, delivery.Body));
    }

    [Fact]
    public void The_standard_webhooks_reference_vector_verifies()
    {
        // The example of the Standard Webhooks specification and its reference libraries.
        const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["webhook-id"] = "msg_p5jXN8AQM9LWM0D4loKWxJek",
            ["webhook-timestamp"] = "1614265330",
            ["webhook-signature"] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        };
        var body = "{\"test\": 2432232314}"u8.ToArray();
        var verifier = new DeliveryVerifier(Secret, new() { TimeProvider = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1614265330)) });

        Assert.Equal("msg_p5jXN8AQM9LWM0D4loKWxJek", verifier.Verify(headers.GetValueOrDefault, body).WebhookId);
        body[^2] = (byte)'5';
        Assert.Throws<DeliverySignatureException>(() => verifier.Verify(headers.GetValueOrDefault, body));
    }

    [Fact]
    public void A_hand_computed_webpa_signature_verifies_and_a_malformed_one_is_refused()
    {
        var body = "{\"hello\":\"world\"}"u8.ToArray();
        var hex = Convert.ToHexStringLower(HMACSHA1.HashData("s3cret"u8, body));
        var verifier = new DeliveryVerifier("s3cret", new() { Scheme = DeliverySignatureScheme.WebpaSignature });

        verifier.Verify(name => name == "X-Webpa-Signature" ? "sha1=" + hex : null, body);
        verifier.Verify(name => name == "X-Webpa-Signature" ? "sha1=" + hex.ToUpperInvariant() : null, body);
        Assert.Throws<DeliverySignatureException>(() => verifier.Verify(name => name == "X-Webpa-Signature" ? "sha256=" + hex : null, body));
        Assert.Throws<DeliverySignatureException>(() => verifier.Verify(name => name == "X-Webpa-Signature" ? "sha1=" + hex[..38] : null, body));
    }

    [Fact]
    public void An_authentic_body_that_is_not_wrp_is_an_undecodable_body()
    {
        const string Secret = "s3cret";
        var body = new byte[] { 0x91, 0xc1, 0xff, 0x00 };
        var id = "msg_1";
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = Mimisbrunnr.Delivery.DeliverySignatures.ComputeStandardWebhooksSignature(Secret, id, timestamp, body);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = "application/msgpack",
            ["webhook-id"] = id,
            ["webhook-timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["webhook-signature"] = signature,
        };

        var verified = new DeliveryVerifier(Secret).Verify(headers.GetValueOrDefault, body);
        var ex = Assert.Throws<DeliveryBodyException>(verified.DecodeWrp);
        Assert.IsType<WrpFormatException>(ex.InnerException);

        headers["Content-Type"] = "application/json; charset=utf-8";
        Assert.Throws<DeliveryBodyException>(new DeliveryVerifier(Secret).Verify(headers.GetValueOrDefault, body).DecodeWrp);
    }

    [Fact]
    public void A_verifier_needs_a_secret_and_a_sane_tolerance()
    {
        Assert.Throws<ArgumentException>(() => new DeliveryVerifier(""));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeliveryVerifier("s", new() { Tolerance = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeliveryVerifier("s", new() { Scheme = (DeliverySignatureScheme)42 }));
    }

    /// <summary>Registers a norn to a sink path, posts one event to the server, and returns what the sink received.</summary>
    private async Task<RecordedRequest> DeliverAsync(string device, WrpMessage message, string path, string contentType, string? secret = TestNorns.Secret)
    {
        var client = _server.ClientFor("alice");
        await client.CreateOrUpdateAsync(TestNorns.HttpRequest(device, _sink.Url(path), secret: secret, contentType: contentType), Ct);
        await _server.PostEventAsync(message);
        return Assert.Single(await _sink.WaitForRequestsAsync(1, path));
    }
}
