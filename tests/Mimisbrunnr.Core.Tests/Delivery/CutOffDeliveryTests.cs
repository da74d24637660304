using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Tests.Dispatch;

namespace Mimisbrunnr.Tests.Delivery;

/// <summary>The dispatcher pool and HTTP delivery together, against real sinks.</summary>
public sealed class CutOffDeliveryTests
{
    private const string CaduceusText =
        "Unfortunately, your endpoint is not able to keep up with the traffic being sent to it.  Due to this circumstance, all notification traffic is being cut off and dropped for a period of time.  Please increase your capacity to handle notifications, or reduce the number of notifications you have requested.";

    [Fact]
    public async Task A_slow_consumer_is_cut_off_told_once_and_a_healthy_norn_of_the_device_gets_everything()
    {
        await using var h = await DeliveryHarness.StartAsync(o =>
        {
            o.Delivery.QueueSize = 3;
            o.Delivery.CutOffPeriod = TimeSpan.FromMinutes(5); // longer than the test can take, even on a loaded machine
        });
        var stuck = new TaskCompletionSource();
        h.Sink.SetDefault("/slow", SinkResponse.HeldUntil(stuck.Task));
        var slow = h.AddNorn("/slow", secret: "slow-secret", failurePath: "/failure");
        var healthy = h.AddNorn("/fast", secret: null);

        var outcomes = new List<EnqueueOutcome>();
        for (var i = 0; i < 21; i++)
        {
            outcomes.Add(h.Pool.TryEnqueue(slow, TestData.Event(i)));
            Assert.Equal(EnqueueOutcome.Enqueued, h.Pool.TryEnqueue(healthy, TestData.Event(i)));
            await h.Sink.WaitForRequestsAsync(i + 1, "/fast"); // the healthy consumer keeps up with this pace
            if (i == 0)
            {
                await h.Sink.WaitForRequestsAsync(1, "/slow"); // the first is in flight, held by the consumer
            }
        }

        Assert.Equal(Enumerable.Repeat(EnqueueOutcome.Enqueued, 4), outcomes.Take(4));
        Assert.Equal(EnqueueOutcome.QueueFull, outcomes[4]);
        Assert.All(outcomes.Skip(5), o => Assert.Equal(EnqueueOutcome.CutOff, o));

        var notice = Assert.Single(await h.Sink.WaitForRequestsAsync(1, "/failure"));
        var fast = await h.Sink.WaitForRequestsAsync(21, "/fast");
        Assert.Equal(
            Enumerable.Range(0, 21).Select(i => $"tx-{i:D6}"),
            fast.Select(r => r.Header("X-Webpa-Transaction-Id")));
        Assert.Single(h.Sink.RequestsTo("/failure"));
        Assert.Single(h.Sink.RequestsTo("/slow"));

        Assert.Equal("application/json", notice.Header("Content-Type"));
        var expected = "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData("slow-secret"u8, notice.Body));
        Assert.Equal(expected, notice.Header("X-Webpa-Signature"));
        var text = Encoding.UTF8.GetString(notice.Body);
        Assert.DoesNotContain("slow-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"secret\"", text, StringComparison.OrdinalIgnoreCase);
        using var json = JsonDocument.Parse(notice.Body);
        var root = json.RootElement;
        Assert.Equal(CaduceusText, root.GetProperty("text").GetString());
        Assert.Equal("5m0s", root.GetProperty("cut_off_period").GetString());
        Assert.Equal(3, root.GetProperty("queue_size").GetInt32());
        Assert.Equal(1, root.GetProperty("worker_count").GetInt32());
        var norn = root.GetProperty("norn");
        Assert.Equal(slow.Id, norn.GetProperty("id").GetString());
        Assert.Equal(TestData.Device, norn.GetProperty("deviceId").GetString());
        var http = norn.GetProperty("destination").GetProperty("http");
        Assert.Equal(h.Sink.Url("/slow").ToString(), http.GetProperty("url").GetString());
        Assert.True(http.GetProperty("hasSecret").GetBoolean());

        Assert.Equal(4, h.Recorder.Drops(DropReasons.QueueFull));
        Assert.Equal(16, h.Recorder.Drops(DropReasons.CutOff));
        Assert.Equal(1, h.Recorder.CutOffs);
        stuck.SetResult();
    }

    [Fact]
    public async Task A_norn_without_a_failure_url_is_cut_off_silently()
    {
        await using var h = await DeliveryHarness.StartAsync(o =>
        {
            o.Delivery.QueueSize = 1;
            o.Delivery.CutOffPeriod = TimeSpan.FromMinutes(5);
        });
        var stuck = new TaskCompletionSource();
        h.Sink.SetDefault("/slow", SinkResponse.HeldUntil(stuck.Task));
        var slow = h.AddNorn("/slow");
        var probe = h.AddNorn("/probe");

        h.Pool.TryEnqueue(slow, TestData.Event(0));
        await h.Sink.WaitForRequestsAsync(1, "/slow");
        h.Pool.TryEnqueue(slow, TestData.Event(1));
        Assert.Equal(EnqueueOutcome.QueueFull, h.Pool.TryEnqueue(slow, TestData.Event(2)));
        h.Pool.TryEnqueue(probe, TestData.Event(3));
        await h.Sink.WaitForRequestsAsync(1, "/probe");

        Assert.Equal(2, h.Sink.Requests.Count);
        Assert.Equal(1, h.Recorder.CutOffs);
        stuck.SetResult();
    }

    [Fact]
    public async Task Deliveries_carry_a_traceparent_that_continues_the_trace_of_the_enqueue()
    {
        await using var h = await DeliveryHarness.StartAsync();
        using var incomingSource = new ActivitySource("Mimisbrunnr.Tests.Incoming");
        var stopped = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is MimisbrunnrTelemetry.ActivitySourceName or "Mimisbrunnr.Tests.Incoming",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var norn = h.AddNorn("/hook");

        ActivityTraceId traceId;
        ActivitySpanId incomingSpan;
        using (var incoming = incomingSource.StartActivity("POST /events"))
        {
            Assert.NotNull(incoming);
            traceId = incoming.TraceId;
            incomingSpan = incoming.SpanId;
            Assert.Equal(EnqueueOutcome.Enqueued, h.Pool.TryEnqueue(norn, TestData.Event(1)));
        }

        var request = Assert.Single(await h.Sink.WaitForRequestsAsync(1, "/hook"));
        var traceparent = request.Header("traceparent");
        Assert.NotNull(traceparent);
        Assert.StartsWith($"00-{traceId}-", traceparent, StringComparison.Ordinal);
        Assert.DoesNotContain(incomingSpan.ToString(), traceparent, StringComparison.Ordinal);

        await Eventually.TrueAsync(
            () => stopped.Any(a => a.OperationName == "mimisbrunnr.deliver" && a.TraceId == traceId), () => "no delivery span");
        var delivery = stopped.Single(a => a.OperationName == "mimisbrunnr.deliver" && a.TraceId == traceId);
        Assert.Equal(incomingSpan, delivery.ParentSpanId);
        Assert.Equal(norn.Id, delivery.GetTagItem("mimisbrunnr.norn.id"));
        Assert.Equal(ActivityStatusCode.Ok, delivery.Status);
    }
}
