using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>The SQS sender against a hand-written client: batching limits, partial failures, retries, final errors.</summary>
public sealed class SqsNornSenderTests
{
    private const int MaxBatchBytes = 256 * 1024;

    [Fact]
    public async Task Buffered_events_go_in_one_batch_with_the_wrp_json_body_attributes_and_delay()
    {
        await using var harness = SenderHarness.Create();
        var events = SenderHarness.Events(10);
        var outcome = await harness.SendAsync(SenderHarness.Norn(delaySeconds: 7), events);

        Assert.Equal(DeliveryOutcome.Delivered, outcome);
        var client = harness.Factory.Last;
        Assert.Equal(["batch:10"], client.Calls);
        var entries = client.Batches[0].Entries;
        Assert.Equal(SenderHarness.QueueUrl(), client.Batches[0].QueueUrl);
        for (var i = 0; i < 10; i++)
        {
            var entry = entries[i];
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), entry.Id);
            Assert.Equal(WrpJson.Encode(events[i].Message), Encoding.UTF8.GetBytes(entry.MessageBody));
            Assert.Equal(7, entry.DelaySeconds);
            Assert.Null(entry.MessageGroupId);
            Assert.Equal("txn-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), entry.MessageAttributes["transactionId"].StringValue);
            Assert.Equal(SenderHarness.Device, entry.MessageAttributes["deviceId"].StringValue);
            Assert.Equal($"device-status/{SenderHarness.Device}/online", entry.MessageAttributes["eventType"].StringValue);
            Assert.Equal("SimpleEvent", entry.MessageAttributes["messageType"].StringValue);
        }
    }

    [Fact]
    public async Task Protected_aws_credentials_are_revealed_for_the_client_and_unreadable_ones_send_nothing()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var harness = SenderHarness.Create(engine: o => o.SecretKeys.Add(key));
        var protector = harness.Services.GetRequiredService<INornSecretProtector>();
        var plain = SenderHarness.Norn(sessionToken: "session-token-1").Norn;
        var stored = new RegisteredNorn(NornSecrets.Protect(plain, protector));
        Assert.StartsWith(NornSecretProtector.Prefix, stored.Norn.Destination.Sqs!.SecretAccessKey, StringComparison.Ordinal);

        Assert.Equal(DeliveryOutcome.Delivered, await harness.SendAsync(stored, [SenderHarness.Event(1)]));
        var credentials = Assert.Single(harness.Factory.Created).Settings.Credentials!;
        Assert.Equal(SqsEmulator.SecretAccessKey, credentials.SecretAccessKey);
        Assert.Equal("session-token-1", credentials.SessionToken);

        await using var stranger = SenderHarness.Create(engine: o => o.SecretKeys.Add(Convert.ToBase64String(new byte[32])));
        var outcome = await stranger.SendAsync(stored, [SenderHarness.Event(2)]);
        Assert.Equal(DeliveryStatus.Failed, outcome.Status);
        Assert.Empty(stranger.Factory.Created);
        Assert.Contains(stranger.Logs.GetSnapshot(), r => r.Message.Contains("cannot be decrypted", StringComparison.Ordinal));
        Assert.DoesNotContain(stranger.Logs.GetSnapshot(), r => r.Message.Contains(SqsEmulator.SecretAccessKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task One_event_is_sent_with_send_message()
    {
        await using var harness = SenderHarness.Create();
        var outcome = await harness.SendAsync(SenderHarness.Norn(delaySeconds: 3), [SenderHarness.Event(1)]);
        Assert.Equal(DeliveryOutcome.Delivered, outcome);
        var request = Assert.Single(harness.Factory.Last.Singles);
        Assert.Equal(3, request.DelaySeconds);
        Assert.Equal(4, request.MessageAttributes.Count);
        Assert.Empty(harness.Factory.Last.Batches);
    }

    [Fact]
    public async Task Batch_size_one_sends_every_event_alone()
    {
        await using var harness = SenderHarness.Create(o => o.MaxBatchSize = 1);
        Assert.Equal(1, harness.Sender.MaxBatchSize);
        var outcome = await harness.SendAsync(SenderHarness.Norn(), SenderHarness.Events(3));
        Assert.Equal(DeliveryOutcome.Delivered, outcome);
        Assert.Equal(["single", "single", "single"], harness.Factory.Last.Calls);
    }

    [Fact]
    public async Task Requests_hold_at_most_ten_entries_and_256_KiB_and_keep_the_order()
    {
        await using var harness = SenderHarness.Create();
        Assert.Equal(10, harness.Sender.MaxBatchSize);

        // 10 events of ~40 KiB of JSON each (30 KiB payloads, base64): six fit in 256 KiB, the other four follow.
        var events = SenderHarness.Events(10, payloadBytes: 30 * 1024);
        var outcome = await harness.SendAsync(SenderHarness.Norn(), events);

        Assert.Equal(DeliveryOutcome.Delivered, outcome);
        var client = harness.Factory.Last;
        Assert.Equal(["batch:6", "batch:4"], client.Calls);
        foreach (var batch in client.Batches)
        {
            Assert.InRange(batch.Entries.Count, 1, 10);
            Assert.True(RequestSize(batch) <= MaxBatchBytes, $"request of {RequestSize(batch)} bytes");
        }

        var sent = client.Batches.SelectMany(b => b.Entries).Select(e => e.MessageBody).ToList();
        Assert.Equal(events.Select(e => Encoding.UTF8.GetString(WrpJson.Encode(e.Message))), sent);
    }

    [Fact]
    public async Task An_event_above_256_KiB_goes_alone_with_send_message()
    {
        await using var harness = SenderHarness.Create();
        List<Mimisbrunnr.Routing.RoutedEvent> events =
            [SenderHarness.Event(0), SenderHarness.Event(1), SenderHarness.Event(2, payloadBytes: 200 * 1024), SenderHarness.Event(3), SenderHarness.Event(4)];
        var outcome = await harness.SendAsync(SenderHarness.Norn(), events);

        Assert.Equal(DeliveryOutcome.Delivered, outcome);
        var client = harness.Factory.Last;
        Assert.Equal(["batch:2", "single", "batch:2"], client.Calls);
        Assert.True(Encoding.UTF8.GetByteCount(client.Singles[0].MessageBody) > MaxBatchBytes);
    }

    [Fact]
    public async Task Partial_failures_retry_the_retryable_entries_and_count_the_final_ones()
    {
        await using var harness = SenderHarness.Create();
        var norn = SenderHarness.Norn();
        var events = SenderHarness.Events(10);
        _ = await harness.SendAsync(norn, [SenderHarness.Event(99)]); // creates the client
        var client = harness.Factory.Last;
        client.FailNextBatchEntries(new()
        {
            ["2"] = ("InternalError", false),
            ["5"] = ("InvalidMessageContents", true),
            ["7"] = ("ThrottlingException", true),
        });

        var outcome = await harness.SendAsync(norn, events);

        Assert.Equal(DeliveryOutcome.Partial(1), outcome);
        Assert.Equal(["single", "batch:10", "batch:2"], client.Calls);
        Assert.Equal(["2", "7"], client.Batches[1].Entries.Select(e => e.Id));
        Assert.Contains(harness.Logs.GetSnapshot(), r => r.Message.Contains("InvalidMessageContents", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Entries_that_keep_failing_are_dropped_after_the_retries()
    {
        await using var harness = SenderHarness.Create(o => o.Retries = 2);
        var norn = SenderHarness.Norn();
        _ = await harness.SendAsync(norn, [SenderHarness.Event(99)]);
        var client = harness.Factory.Last;
        client.FailNextBatchEntries(new() { ["3"] = ("InternalError", false) });
        client.FailNextSingle(ServiceError(HttpStatusCode.InternalServerError, "InternalError"));
        client.FailNextSingle(ServiceError(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable"));

        var outcome = await harness.SendAsync(norn, SenderHarness.Events(10));

        Assert.Equal(DeliveryOutcome.Partial(1), outcome);
        Assert.Equal(["single", "batch:10", "single", "single"], client.Calls);
    }

    [Fact]
    public async Task Throttling_and_5xx_are_retried_until_the_send_succeeds()
    {
        await using var harness = SenderHarness.Create(o => o.Retries = 3);
        var norn = SenderHarness.Norn();
        _ = await harness.SendAsync(norn, [SenderHarness.Event(99)]);
        var client = harness.Factory.Last;
        client.FailNextBatch(ServiceError(HttpStatusCode.BadRequest, "ThrottlingException"));
        client.FailNextBatch(ServiceError(HttpStatusCode.BadGateway, string.Empty));
        client.FailNextBatch(new HttpRequestException("connection reset"));

        var outcome = await harness.SendAsync(norn, SenderHarness.Events(4));

        Assert.Equal(DeliveryOutcome.Delivered, outcome);
        Assert.Equal(["single", "batch:4", "batch:4", "batch:4", "batch:4"], client.Calls);
    }

    [Fact]
    public async Task Other_client_errors_are_final_at_once_and_not_reported()
    {
        await using var sink = await SinkServer.StartAsync(TestContext.Current.CancellationToken);
        await using var harness = SenderHarness.Create();
        var norn = SenderHarness.Norn(failureUrl: sink.Url("/failure").ToString());
        _ = await harness.SendAsync(norn, [SenderHarness.Event(99)]);
        harness.Factory.Last.FailNextBatch(ServiceError(HttpStatusCode.BadRequest, "InvalidParameterValue"));

        var outcome = await harness.SendAsync(norn, SenderHarness.Events(3));

        Assert.Equal(DeliveryOutcome.Failed(3), outcome);
        Assert.Equal(["single", "batch:3"], harness.Factory.Last.Calls);
        Assert.Empty(sink.Requests);
    }

    [Fact]
    public async Task A_missing_queue_fails_the_whole_batch_once_and_the_owner_gets_one_signed_notice()
    {
        const string Secret = "failure-secret";
        await using var sink = await SinkServer.StartAsync(TestContext.Current.CancellationToken);
        await using var harness = SenderHarness.Create(o => o.FailureNoticeInterval = TimeSpan.FromMinutes(5));
        var norn = SenderHarness.Norn(failureUrl: sink.Url("/failure").ToString(), secret: Secret);
        _ = await harness.SendAsync(norn, [SenderHarness.Event(99)]);
        var client = harness.Factory.Last;
        client.FailNextBatch(new QueueDoesNotExistException("The specified queue does not exist.") { ErrorCode = "AWS.SimpleQueueService.NonExistentQueue", StatusCode = HttpStatusCode.BadRequest });

        // Two requests' worth of events: the second is not even sent.
        var outcome = await harness.SendAsync(norn, SenderHarness.Events(10, payloadBytes: 30 * 1024));

        Assert.Equal(DeliveryOutcome.Failed(10), outcome);
        Assert.Equal(["single", "batch:6"], client.Calls);
        var notice = Assert.Single(await sink.WaitForRequestsAsync(1, "/failure"));
        Assert.Equal("sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(Secret), notice.Body)), notice.Header("X-Webpa-Signature"));
        using var json = JsonDocument.Parse(notice.Body);
        Assert.Equal("queue_does_not_exist", json.RootElement.GetProperty("error").GetString());
        Assert.Equal(10, json.RootElement.GetProperty("dropped").GetInt32());
        Assert.Equal(norn.Id, json.RootElement.GetProperty("norn").GetProperty("id").GetString());
        Assert.False(json.RootElement.GetProperty("norn").GetProperty("destination").GetProperty("sqs").TryGetProperty("secretAccessKey", out _));
        Assert.DoesNotContain(SqsEmulator.SecretAccessKey, Encoding.UTF8.GetString(notice.Body), StringComparison.Ordinal);

        // Still missing: failed again, but the owner is not told twice within the interval.
        // The notice is sent inline (see the next test: a failure URL that does not answer holds the send), so once
        // SendAsync returned a second notice would already have been recorded.
        client.FailNextSingle(new QueueDoesNotExistException("The specified queue does not exist."));
        Assert.Equal(DeliveryOutcome.Failed(1), await harness.SendAsync(norn, [SenderHarness.Event(11)]));
        Assert.Single(sink.RequestsTo("/failure"));
    }

    [Fact]
    public async Task Access_denied_is_final_without_retry_and_reported()
    {
        await using var sink = await SinkServer.StartAsync(TestContext.Current.CancellationToken);
        await using var harness = SenderHarness.Create(o => o.Retries = 5);
        var norn = SenderHarness.Norn(failureUrl: sink.Url("/failure").ToString());
        _ = await harness.SendAsync(norn, [SenderHarness.Event(99)]);
        harness.Factory.Last.FailNextBatch(ServiceError(HttpStatusCode.Forbidden, "AccessDenied"));

        var outcome = await harness.SendAsync(norn, SenderHarness.Events(2));

        Assert.Equal(DeliveryOutcome.Failed(2), outcome);
        Assert.Equal(["single", "batch:2"], harness.Factory.Last.Calls);
        var notice = Assert.Single(await sink.WaitForRequestsAsync(1, "/failure"));
        Assert.Null(notice.Header("X-Webpa-Signature")); // no secret: unsigned
        using var json = JsonDocument.Parse(notice.Body);
        Assert.Equal("access_denied", json.RootElement.GetProperty("error").GetString());
        Assert.Equal("AccessDenied", json.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_failure_url_that_does_not_answer_holds_the_worker_no_longer_than_the_delivery_timeout()
    {
        var never = new TaskCompletionSource();
        await using var sink = await SinkServer.StartAsync(TestContext.Current.CancellationToken);
        sink.SetDefault("/hang", SinkResponse.HeldUntil(never.Task));
        await using var harness = SenderHarness.Create(engine: o => o.Delivery.Timeout = TimeSpan.FromSeconds(2));
        var norn = SenderHarness.Norn(failureUrl: sink.Url("/hang").ToString());
        _ = await harness.SendAsync(norn, [SenderHarness.Event(99)]);
        harness.Factory.Last.FailNextSingle(new QueueDoesNotExistException("The specified queue does not exist."));

        // The failure URL never answers: only the delivery timeout can end the send (the bound only turns a hang
        // into a failure).
        var outcome = await harness.SendAsync(norn, [SenderHarness.Event(1)]).AsTask().WaitAsync(Eventually.DefaultTimeout, TestContext.Current.CancellationToken);

        // The notice is held forever by the sink: the send returned because the notice gave up at the delivery timeout.
        Assert.Equal(DeliveryOutcome.Failed(1), outcome);
        Assert.Single(sink.RequestsTo("/hang"));
        Assert.Contains(harness.Logs.GetSnapshot(), r => r.Message.Contains("could not be sent", StringComparison.Ordinal));
        never.SetResult();
    }

    [Fact]
    public async Task Fifo_messages_carry_the_device_as_group_a_stable_deduplication_id_and_no_delay()
    {
        await using var harness = SenderHarness.Create();
        var norn = SenderHarness.Norn(SenderHarness.QueueUrl("events.fifo"), delaySeconds: 5);
        _ = await harness.SendAsync(norn, SenderHarness.Events(2));
        _ = await harness.SendAsync(norn, [SenderHarness.Event(0)]);

        var client = harness.Factory.Last;
        var entries = client.Batches[0].Entries;
        Assert.All(entries, e => Assert.Equal(SenderHarness.Device, e.MessageGroupId));
        Assert.All(entries, e => Assert.Null(e.DelaySeconds));
        Assert.NotEqual(entries[0].MessageDeduplicationId, entries[1].MessageDeduplicationId);
        Assert.Equal(entries[0].MessageDeduplicationId, client.Singles[0].MessageDeduplicationId); // same event, same norn
        Assert.Null(client.Singles[0].DelaySeconds);
    }

    [Fact]
    public async Task A_traced_delivery_carries_its_traceparent()
    {
        await using var harness = SenderHarness.Create();
        using var activity = new Activity("test-delivery").SetIdFormat(ActivityIdFormat.W3C).Start();
        _ = await harness.SendAsync(SenderHarness.Norn(), [SenderHarness.Event(1)]);
        Assert.Equal(activity.Id, harness.Factory.Last.Singles[0].MessageAttributes["traceparent"].StringValue);
    }

    [Fact]
    public async Task Clients_are_shared_per_endpoint_region_and_credentials()
    {
        await using var harness = SenderHarness.Create();
        _ = await harness.SendAsync(SenderHarness.Norn(SenderHarness.QueueUrl("a")), [SenderHarness.Event(1)]);
        _ = await harness.SendAsync(SenderHarness.Norn(SenderHarness.QueueUrl("b")), [SenderHarness.Event(1)]);
        Assert.Single(harness.Factory.Created);

        _ = await harness.SendAsync(SenderHarness.Norn(SenderHarness.QueueUrl("a"), secretAccessKey: "rotated"), [SenderHarness.Event(1)]);
        _ = await harness.SendAsync(SenderHarness.Norn(SenderHarness.QueueUrl("a"), sessionToken: "token"), [SenderHarness.Event(1)]);
        _ = await harness.SendAsync(SenderHarness.Norn(SenderHarness.QueueUrl("a"), region: "eu-west-1"), [SenderHarness.Event(1)]);
        Assert.Equal(4, harness.Factory.Created.Count);

        var settings = harness.Factory.Created.Select(c => c.Settings).ToList();
        Assert.All(settings, s => Assert.Equal(SenderHarness.ServiceUrl, s.Endpoint));
        Assert.Equal("token", settings[2].Credentials!.SessionToken);
        Assert.Equal("eu-west-1", settings[3].Region);
        Assert.DoesNotContain(SqsEmulator.SecretAccessKey, settings[0].Credentials!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(SqsEmulator.SecretAccessKey, settings[0].Key.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposing_the_container_disposes_the_clients()
    {
        var harness = SenderHarness.Create();
        _ = await harness.SendAsync(SenderHarness.Norn(), [SenderHarness.Event(1)]);
        var client = harness.Factory.Last;
        await harness.DisposeAsync();
        Assert.Equal(1, client.Disposed);
    }

    private static AmazonSQSException ServiceError(HttpStatusCode status, string code) =>
        new("scripted " + code) { StatusCode = status, ErrorCode = code };

    private static int RequestSize(SendMessageBatchRequest request) => request.Entries.Sum(e =>
        Encoding.UTF8.GetByteCount(e.MessageBody)
        + e.MessageAttributes.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(a.Value.DataType) + Encoding.UTF8.GetByteCount(a.Value.StringValue)));
}
