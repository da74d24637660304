using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>A norn whose queue is slower than its events is cut off exactly as an HTTP norn.</summary>
public sealed class SqsCutOffTests
{
    private const string Device = "mac:112233445566";

    [Fact]
    public async Task A_stuck_queue_cuts_the_norn_off_and_its_failure_url_gets_one_signed_notice()
    {
        const string Secret = "cutoff-secret";
        const int Burst = 20;
        using var emulator = SqsEmulator.Require();
        await using var sink = await SinkServer.StartAsync(TestContext.Current.CancellationToken);
        await using var proxy = await SqsFaultProxy.StartAsync(emulator.ServiceUrl);
        var name = SqsEmulator.UniqueName("stuck");
        var queueUrl = await emulator.CreateQueueAsync(name, proxy.BaseAddress);
        await using var host = await SqsHosts.StartAsync(proxy.BaseAddress, engine: o =>
        {
            o.Delivery.QueueSize = 3;
            o.Delivery.CutOffPeriod = TimeSpan.FromMinutes(1);
        });
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var drops = new MetricCollector<long>(meters, MimisbrunnrMetrics.MeterName, "mimisbrunnr.drops");
        using var cutOffs = new MetricCollector<long>(meters, MimisbrunnrMetrics.MeterName, "mimisbrunnr.cutoffs");
        var (status, _) = await host.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey, failureUrl: sink.Url("/cutoff"), secret: Secret));
        Assert.Equal(HttpStatusCode.Created, status);

        proxy.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // the queue stops answering
        for (var i = 0; i < Burst; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "burst-" + i.ToString(CultureInfo.InvariantCulture))));
        }

        var notice = Assert.Single(await sink.WaitForRequestsAsync(1, "/cutoff"));
        Assert.Equal("sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(Secret), notice.Body)), notice.Header("X-Webpa-Signature")); // checked with the BCL
        using (var json = JsonDocument.Parse(notice.Body))
        {
            var root = json.RootElement;
            Assert.StartsWith("Unfortunately, your endpoint is not able to keep up", root.GetProperty("text").GetString(), StringComparison.Ordinal);
            Assert.Equal("1m0s", root.GetProperty("cut_off_period").GetString());
            Assert.Equal(3, root.GetProperty("queue_size").GetInt32());
            var sqs = root.GetProperty("norn").GetProperty("destination").GetProperty("sqs");
            Assert.Equal(queueUrl, sqs.GetProperty("queueUrl").GetString());
            Assert.True(sqs.GetProperty("hasSecret").GetBoolean());
            Assert.DoesNotContain(SqsEmulator.SecretAccessKey, root.GetRawText(), StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, root.GetRawText(), StringComparison.Ordinal);
        }

        Assert.Equal(1, cutOffs.GetMeasurementSnapshot().Sum(m => m.Value));
        var byReason = drops.GetMeasurementSnapshot().GroupBy(m => (string)m.Tags["reason"]!).ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
        Assert.True(byReason.GetValueOrDefault("queue_full") >= 1, "the overflowing event and the emptied buffer count as queue_full");
        Assert.True(byReason.GetValueOrDefault("cut_off") >= 1, "events during the cut-off count as cut_off");
        var dropped = byReason.GetValueOrDefault("queue_full") + byReason.GetValueOrDefault("cut_off");

        // The queue answers again: what was in flight arrives, nothing else; no second notice.
        proxy.Gate.TrySetResult();
        var expected = Burst - (int)dropped;
        Assert.InRange(expected, 1, 4);
        var received = await emulator.ReceiveAsync(name, expected);
        Assert.Equal(expected, received.Count);
        Assert.Equal("burst-0", received[0].MessageAttributes["transactionId"].StringValue);

        // Still cut off: the next event is dropped when it is routed (counted before the 202), never sent.
        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "after")));
        Assert.Equal(byReason.GetValueOrDefault("cut_off") + 1, CutOffDrops());

        // Stopping drains every dispatcher: after it, nothing more can reach the queue or the failure URL.
        await host.StopAsync();
        Assert.Equal((0, 0, 0), await emulator.InspectAsync(name));
        Assert.Single(sink.RequestsTo("/cutoff"));
        Assert.Equal(1, cutOffs.GetMeasurementSnapshot().Sum(m => m.Value));

        long CutOffDrops() => drops.GetMeasurementSnapshot().Where(m => Equals(m.Tags["reason"], "cut_off")).Sum(m => m.Value);
    }
}
