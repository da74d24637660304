using System.Net;
using System.Net.Sockets;
using System.Text;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Tests.Dispatch;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Delivery;

public sealed class HttpNornSenderTests
{
    [Fact]
    public async Task Json_norns_get_the_WRP_JSON_body_Caduceus_headers_and_both_signatures()
    {
        await using var h = await DeliveryHarness.StartAsync();
        var norn = h.AddNorn("/hook", secret: "s3cret");
        var routed = TestData.Event(7);

        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, routed));

        var request = Assert.Single(h.Sink.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hook", request.Path);
        Assert.Equal("application/json", request.Header("Content-Type"));
        Assert.Equal(WrpJson.Encode(routed.Message), request.Body);
        Assert.Equal("device-status/mac:112233445566/online", request.Header("X-Webpa-Event"));
        Assert.Equal("tx-000007", request.Header("X-Webpa-Transaction-Id"));
        Assert.Equal("mac:112233445566", request.Header("X-Webpa-Device-Id"));
        Assert.Equal("mac:112233445566/parodus", request.Header("X-Webpa-Source"));
        Assert.Equal("event:device-status/mac:112233445566/online", request.Header("X-Webpa-Destination"));
        Assert.Equal("SimpleEvent", request.Header("X-Xmidt-Message-Type"));
        Assert.StartsWith("msg_", request.Header("webhook-id"), StringComparison.Ordinal);
        DeliveryHarness.AssertSigned(request, "s3cret");
    }

    [Fact]
    public async Task MsgPack_norns_get_the_WRP_msgpack_body()
    {
        await using var h = await DeliveryHarness.StartAsync();
        var norn = h.AddNorn("/hook", secret: "another secret", contentType: DeliveryContentTypes.MsgPack);
        var routed = TestData.Event(1);

        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, routed));

        var request = Assert.Single(h.Sink.Requests);
        Assert.Equal("application/msgpack", request.Header("Content-Type"));
        Assert.Equal(WrpMsgPack.Encode(routed.Message), request.Body);
        DeliveryHarness.AssertSigned(request, "another secret");
    }

    [Fact]
    public async Task Payload_norns_get_only_the_payload_with_the_WRP_content_type()
    {
        await using var h = await DeliveryHarness.StartAsync();
        var norn = h.AddNorn("/hook", contentType: DeliveryContentTypes.Payload);
        var typed = TestData.Event(1, message: TestData.Message(1, contentType: "text/plain; charset=utf-8"));
        var untyped = TestData.Event(2, message: TestData.Message(2, contentType: string.Empty));

        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, typed));
        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, untyped));

        var requests = h.Sink.Requests;
        Assert.Equal("{\"n\":1}"u8.ToArray(), requests[0].Body);
        Assert.Equal("text/plain; charset=utf-8", requests[0].Header("Content-Type"));
        Assert.Equal("{\"n\":2}"u8.ToArray(), requests[1].Body);
        Assert.Equal("application/octet-stream", requests[1].Header("Content-Type"));
        DeliveryHarness.AssertSigned(requests[0], "s3cret");
    }

    [Fact]
    public async Task Unsigned_norns_get_no_signature_headers()
    {
        await using var h = await DeliveryHarness.StartAsync();
        var norn = h.AddNorn("/hook", secret: null, contentType: DeliveryContentTypes.Payload);

        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, TestData.Event(1)));

        var request = Assert.Single(h.Sink.Requests);
        Assert.Null(request.Header("X-Webpa-Signature"));
        Assert.Null(request.Header("X-Codex-Signature"));
        Assert.Null(request.Header("webhook-signature"));
        Assert.NotNull(request.Header("webhook-id"));
    }

    [Fact]
    public async Task A_whsec_secret_is_used_as_its_base64_key_for_Standard_Webhooks()
    {
        await using var h = await DeliveryHarness.StartAsync();
        var key = Enumerable.Range(1, 24).Select(i => (byte)i).ToArray();
        var secret = "whsec_" + Convert.ToBase64String(key);
        var norn = h.AddNorn("/hook", secret: secret);

        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, TestData.Event(1)));

        DeliveryHarness.AssertSigned(Assert.Single(h.Sink.Requests), secret, standardWebhooksKey: key);
    }

    [Fact]
    public async Task Device_text_that_cannot_go_in_a_header_is_percent_encoded()
    {
        await using var h = await DeliveryHarness.StartAsync();
        var norn = h.AddNorn("/hook", contentType: DeliveryContentTypes.Payload);
        var message = TestData.Message(1);
        var routed = TestData.Event(1, message: new WrpMessage
        {
            Type = message.Type,
            Source = message.Source,
            Destination = message.Destination,
            TransactionUuid = "line\r\nX-Injected: yes",
            Payload = message.Payload,
        });

        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, routed));

        var request = Assert.Single(h.Sink.Requests);
        Assert.Equal("line%0D%0AX-Injected%3A%20yes", request.Header("X-Webpa-Transaction-Id"));
        Assert.Null(request.Header("X-Injected"));
    }

    [Fact]
    public async Task Retries_500_and_503_and_keeps_the_webhook_id()
    {
        await using var h = await DeliveryHarness.StartAsync();
        h.Sink.Enqueue("/hook", SinkResponse.WithStatus(500), SinkResponse.WithStatus(503), SinkResponse.Ok);
        var norn = h.AddNorn("/hook");

        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, TestData.Event(1)));

        var requests = h.Sink.Requests;
        Assert.Equal(3, requests.Count);
        Assert.Single(requests.Select(r => r.Header("webhook-id")).Distinct());
        Assert.All(requests, r => DeliveryHarness.AssertSigned(r, "s3cret"));
        Assert.All(requests, r => Assert.Equal(requests[0].Body, r.Body));
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(502)]
    [InlineData(504)]
    public async Task Retries_the_other_transient_statuses(int status)
    {
        await using var h = await DeliveryHarness.StartAsync();
        h.Sink.Enqueue("/hook", SinkResponse.WithStatus(status), SinkResponse.Ok);
        var norn = h.AddNorn("/hook");

        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, TestData.Event(1)));
        Assert.Equal(2, h.Sink.Requests.Count);
    }

    [Fact]
    public async Task Webhook_ids_differ_between_events_and_between_norns_and_repeat_for_a_redelivery()
    {
        await using var h = await DeliveryHarness.StartAsync();
        var a = h.AddNorn("/a");
        var b = h.AddNorn("/b");

        await h.SendAsync(a, TestData.Event(1));
        await h.SendAsync(a, TestData.Event(2));
        await h.SendAsync(b, TestData.Event(1));
        await h.SendAsync(a, TestData.Event(1));

        var ids = h.Sink.Requests.Select(r => r.Header("webhook-id")).ToArray();
        Assert.Equal(3, ids.Take(3).Distinct().Count());
        Assert.Equal(ids[0], ids[3]);
    }

    [Fact]
    public async Task Honours_Retry_After_seconds_on_429()
    {
        await using var h = await DeliveryHarness.StartAsync();
        h.Sink.Enqueue("/hook", SinkResponse.WithStatus(429, retryAfter: "1"), SinkResponse.Ok);
        var norn = h.AddNorn("/hook");

        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, TestData.Event(1)));

        var requests = h.Sink.Requests;
        Assert.Equal(2, requests.Count);

        // The backoff alone would wait about 10 ms; only a lower bound is asserted.
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromMilliseconds(900), $"gap {requests[1].ReceivedAt - requests[0].ReceivedAt}");
    }

    [Fact]
    public async Task Honours_a_Retry_After_date_on_503()
    {
        await using var h = await DeliveryHarness.StartAsync();
        h.Sink.Enqueue("/hook", SinkResponse.WithStatus(503, retryAfter: DateTimeOffset.UtcNow.AddSeconds(5).ToString("R")), SinkResponse.Ok);
        var norn = h.AddNorn("/hook");

        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, TestData.Event(1)));

        var requests = h.Sink.Requests;
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromSeconds(1), $"gap {requests[1].ReceivedAt - requests[0].ReceivedAt}");
    }

    [Fact]
    public async Task Caps_Retry_After_at_MaxRetryAfter()
    {
        await using var h = await DeliveryHarness.StartAsync(o => o.Delivery.MaxRetryAfter = TimeSpan.FromMilliseconds(100));
        h.Sink.Enqueue("/hook", SinkResponse.WithStatus(429, retryAfter: "3600"), SinkResponse.Ok);
        var norn = h.AddNorn("/hook");

        var send = h.SendAsync(norn, TestData.Event(1)).AsTask();

        Assert.Equal(DeliveryOutcome.Delivered, await send.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(2, h.Sink.Requests.Count);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(413)]
    [InlineData(501)]
    public async Task Other_statuses_are_final(int status)
    {
        await using var h = await DeliveryHarness.StartAsync();
        h.Sink.SetDefault("/hook", SinkResponse.WithStatus(status));
        var norn = h.AddNorn("/hook");

        Assert.Equal(DeliveryOutcome.Failed(1), await h.SendAsync(norn, TestData.Event(1)));
        Assert.Single(h.Sink.Requests);
    }

    [Fact]
    public async Task Gives_up_after_the_configured_retries()
    {
        await using var h = await DeliveryHarness.StartAsync(o => o.Delivery.Retries = 2);
        h.Sink.SetDefault("/hook", SinkResponse.WithStatus(503));
        var norn = h.AddNorn("/hook");

        Assert.Equal(DeliveryOutcome.Failed(1), await h.SendAsync(norn, TestData.Event(1)));
        Assert.Equal(3, h.Sink.Requests.Count);
    }

    [Fact]
    public async Task Zero_retries_means_one_attempt()
    {
        await using var h = await DeliveryHarness.StartAsync(o => o.Delivery.Retries = 0);
        h.Sink.SetDefault("/hook", SinkResponse.WithStatus(503));
        var norn = h.AddNorn("/hook");

        Assert.Equal(DeliveryOutcome.Failed(1), await h.SendAsync(norn, TestData.Event(1)));
        Assert.Single(h.Sink.Requests);
    }

    [Fact]
    public async Task An_attempt_that_takes_too_long_times_out_and_is_retried()
    {
        await using var h = await DeliveryHarness.StartAsync(o =>
        {
            o.Delivery.Timeout = TimeSpan.FromMilliseconds(200);
            o.Delivery.Retries = 1;
        });
        h.Sink.SetDefault("/hook", new SinkResponse { Delay = TimeSpan.FromSeconds(30) });
        var norn = h.AddNorn("/hook");

        Assert.Equal(DeliveryOutcome.Failed(1), await h.SendAsync(norn, TestData.Event(1)));
        Assert.Equal(2, h.Sink.Requests.Count);
    }

    [Fact]
    public async Task A_transport_error_is_retried_and_then_fails()
    {
        await using var h = await DeliveryHarness.StartAsync(o => o.Delivery.Retries = 1);
        // Bound but not listening: connections are refused, and no other test can take the port meanwhile.
        using var reserved = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        reserved.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closedPort = ((IPEndPoint)reserved.LocalEndPoint!).Port;

        var norn = h.Registry.Add(TestNorns.Http(TestData.Device, $"http://127.0.0.1:{closedPort}/hook"));

        Assert.Equal(DeliveryOutcome.Failed(1), await h.SendAsync(norn, TestData.Event(1)));
    }

    [Fact]
    public async Task Gone_is_reported_for_410()
    {
        await using var h = await DeliveryHarness.StartAsync();
        h.Sink.SetDefault("/hook", SinkResponse.WithStatus(410));
        var norn = h.AddNorn("/hook");

        Assert.Equal(DeliveryOutcome.Gone, await h.SendAsync(norn, TestData.Event(1)));
        Assert.Single(h.Sink.Requests);
    }

    [Fact]
    public async Task A_410_through_the_pool_removes_the_norn()
    {
        await using var h = await DeliveryHarness.StartAsync();
        h.Sink.SetDefault("/hook", SinkResponse.WithStatus(410));
        var norn = h.AddNorn("/hook");

        Assert.Equal(EnqueueOutcome.Enqueued, h.Pool.TryEnqueue(norn, TestData.Event(1)));

        Assert.Equal(norn.Id, await h.Registry.Removed.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        Assert.Equal([norn.Id], h.Registry.RemoveCalls);
        await Eventually.TrueAsync(() => h.Recorder.Deliveries("gone") == 1, () => h.Recorder.ToString());
    }

    [Fact]
    public async Task A_norn_without_an_HTTP_destination_fails()
    {
        await using var h = await DeliveryHarness.StartAsync();
        var norn = new RegisteredNorn(TestNorns.Http(TestData.Device, "https://x.example/") with
        {
            Destination = new NornDestination { Sqs = new SqsDestination { QueueUrl = "https://sqs.example/q" } },
        });

        Assert.Equal(DeliveryOutcome.Failed(2), await h.SendAsync(norn, TestData.Event(1), TestData.Event(2)));
    }

    [Fact]
    public void Friendly_names_follow_wrp_go()
    {
        Assert.Equal("SimpleEvent", DeliveryBody.FriendlyName(MessageType.SimpleEvent));
        Assert.Equal("SimpleRequestResponse", DeliveryBody.FriendlyName(MessageType.SimpleRequestResponse));
        Assert.Equal("Authorization", DeliveryBody.FriendlyName(MessageType.Authorization));
        Assert.Equal("ServiceAlive", DeliveryBody.FriendlyName(MessageType.ServiceAlive));
        Assert.Equal(string.Empty, DeliveryBody.FriendlyName((MessageType)42));
    }

    [Fact]
    public void The_webhook_id_is_derived_from_norn_and_transaction_or_random_without_one()
    {
        var id = HttpNornSender.CreateWebhookId("norn-a", "tx-1");
        Assert.Matches("^msg_[0-9a-f]{32}$", id);
        Assert.Equal(id, HttpNornSender.CreateWebhookId("norn-a", "tx-1"));
        Assert.NotEqual(id, HttpNornSender.CreateWebhookId("norn-b", "tx-1"));

        // As documented: the first 16 bytes of SHA-256("{norn id}\n{transaction id}"), whatever ids came before on this thread.
        var expected = "msg_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("norn-a\ntx-1"u8)[..16]);
        Assert.Equal(expected, id);
        Assert.Equal(expected, HttpNornSender.CreateWebhookId("norn-a", "tx-1"));
        Assert.NotEqual(HttpNornSender.CreateWebhookId("norn-a", string.Empty), HttpNornSender.CreateWebhookId("norn-a", string.Empty));
    }

    [Fact]
    public void Body_encodings_are_cached_and_shared()
    {
        var routed = TestData.Event(1);
        var first = DeliveryBody.For(DeliveryContentTypes.Json, routed, out _);
        var second = DeliveryBody.For("APPLICATION/JSON", routed, out var mediaType);
        Assert.True(first.Span == second.Span, "the same cached array");
        Assert.Equal("application/json", mediaType);
        Assert.Equal(Encoding.UTF8.GetString(WrpJson.Encode(routed.Message)), Encoding.UTF8.GetString(first.Span));
    }
}
