using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>Delivery through a real host (Kestrel, /norns, signed /events) to the SQS emulator.</summary>
public sealed class SqsDeliveryTests
{
    private const string Device = "mac:112233445566";

    [Fact]
    public async Task Event_posted_to_the_host_arrives_in_the_queue_as_wrp_json_with_its_attributes()
    {
        using var emulator = SqsEmulator.Require();
        var name = SqsEmulator.UniqueName("delivery");
        var queueUrl = await emulator.CreateQueueAsync(name);
        await using var host = await SqsHosts.StartAsync(emulator.ServiceUrl);
        var (status, norn) = await host.RegisterAsync(TestNorns.SqsRequest("MAC:11-22-33-44-55-66", queueUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey));
        Assert.Equal(HttpStatusCode.Created, status);
        var sqs = norn.GetProperty("destination").GetProperty("sqs");
        Assert.Equal(queueUrl, sqs.GetProperty("queueUrl").GetString());
        Assert.Equal(SqsEmulator.Region, sqs.GetProperty("region").GetString());
        Assert.True(sqs.GetProperty("hasCredentials").GetBoolean());
        Assert.DoesNotContain(SqsEmulator.SecretAccessKey, norn.GetRawText(), StringComparison.Ordinal);

        var message = TestEvents.DeviceStatus(Device);
        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(message));

        var received = Assert.Single(await emulator.ReceiveAsync(name, 1));
        Assert.Equal(WrpJson.Encode(message), Encoding.UTF8.GetBytes(received.Body));
        var attributes = received.MessageAttributes;
        Assert.Equal(4, attributes.Count);
        Assert.All(attributes.Values, a => Assert.Equal("String", a.DataType));
        Assert.Equal($"device-status/{Device}/online", attributes["eventType"].StringValue);
        Assert.Equal(Device, attributes["deviceId"].StringValue);
        Assert.Equal("txn-1", attributes["transactionId"].StringValue);
        Assert.Equal("SimpleEvent", attributes["messageType"].StringValue);
    }

    [Fact]
    public async Task With_secret_keys_the_store_holds_the_aws_secret_encrypted_and_delivery_still_works()
    {
        using var emulator = SqsEmulator.Require();
        var name = SqsEmulator.UniqueName("protected");
        var queueUrl = await emulator.CreateQueueAsync(name);
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var host = await SqsHosts.StartAsync(emulator.ServiceUrl, engine: o => o.SecretKeys.Add(key));
        var (status, norn) = await host.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey));
        Assert.Equal(HttpStatusCode.Created, status);

        var stored = await host.Services.GetRequiredService<Mimisbrunnr.Storage.INornStore>()
            .GetAsync(norn.GetProperty("id").GetString()!, TestContext.Current.CancellationToken);
        Assert.StartsWith(Mimisbrunnr.Norns.NornSecretProtector.Prefix, stored!.Destination.Sqs!.SecretAccessKey, StringComparison.Ordinal);
        Assert.DoesNotContain(SqsEmulator.SecretAccessKey, stored.Destination.Sqs.SecretAccessKey, StringComparison.Ordinal);

        var message = TestEvents.DeviceStatus(Device);
        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(message));
        var received = Assert.Single(await emulator.ReceiveAsync(name, 1));
        Assert.Equal(WrpJson.Encode(message), Encoding.UTF8.GetBytes(received.Body));
    }

    [Fact]
    public async Task A_thousand_events_arrive_complete_and_in_order_with_batching()
    {
        const int Count = 1000;
        using var emulator = SqsEmulator.Require();
        var name = SqsEmulator.UniqueName("thousand");
        var queueUrl = await emulator.CreateQueueAsync(name);
        await using var host = await SqsHosts.StartAsync(emulator.ServiceUrl, engine: o => o.Delivery.QueueSize = 2 * Count);
        using var requests = new MetricCollector<long>(
            host.Services.GetRequiredService<IMeterFactory>(), MimisbrunnrMetrics.MeterName, "mimisbrunnr.sqs.requests");
        Assert.Equal(HttpStatusCode.Created, (await host.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey))).Status);

        // Posted one after the other: the host accepts them faster than one SQS request each, so they are batched.
        for (var i = 0; i < Count; i++)
        {
            var sequence = i.ToString(CultureInfo.InvariantCulture);
            var status = await host.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "txn-" + sequence, payload: "{\"seq\":" + sequence + "}"));
            Assert.Equal(HttpStatusCode.Accepted, status);
        }

        // fauxqs keeps a standard queue in arrival order (real SQS standard queues do not promise it; FIFO queues do).
        var received = await emulator.ReceiveAsync(name, Count, TimeSpan.FromSeconds(60));
        var sequences = received.Select(m =>
        {
            using var json = JsonDocument.Parse(m.Body);
            var payload = Convert.FromBase64String(json.RootElement.GetProperty("payload").GetString()!);
            using var inner = JsonDocument.Parse(payload);
            return inner.RootElement.GetProperty("seq").GetInt32();
        }).ToList();
        Assert.Equal(Enumerable.Range(0, Count), sequences);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => "txn-" + i.ToString(CultureInfo.InvariantCulture)), received.Select(m => m.MessageAttributes["transactionId"].StringValue));

        // The last request is counted just after SQS answered it, which may be after the test received its messages:
        // stopping the host waits for its dispatchers to finish, so every request has been counted after it.
        await host.StopAsync();
        var measurements = requests.GetMeasurementSnapshot();
        var batches = measurements.Where(m => Equals(m.Tags["operation"], "send_message_batch")).Sum(m => m.Value);
        var total = measurements.Sum(m => m.Value);
        Assert.All(measurements, m => Assert.Equal("success", m.Tags["outcome"]));
        Assert.True(batches > 0, "no SendMessageBatch request was sent");
        Assert.True(total < Count, $"{total} requests for {Count} events: no batching");
        Assert.True(total >= Count / 10, $"{total} requests cannot carry {Count} events");
    }

    [Fact]
    public async Task The_norn_delay_holds_the_message_back()
    {
        using var emulator = SqsEmulator.Require();
        var name = SqsEmulator.UniqueName("delayed");
        var queueUrl = await emulator.CreateQueueAsync(name);
        await using var host = await SqsHosts.StartAsync(emulator.ServiceUrl);
        using var deliveries = new MetricCollector<long>(
            host.Services.GetRequiredService<IMeterFactory>(), MimisbrunnrMetrics.MeterName, "mimisbrunnr.deliveries");
        Assert.Equal(HttpStatusCode.Created, (await host.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey, delaySeconds: 30))).Status);

        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device)));
        await deliveries.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(20));

        Assert.Equal("success", deliveries.LastMeasurement!.Tags["outcome"]);
        Assert.Equal("sqs", deliveries.LastMeasurement.Tags["destination.type"]);
        Assert.Equal((0, 1, 0), await emulator.InspectAsync(name));
    }

    [Fact]
    public async Task A_fifo_queue_receives_the_device_as_message_group()
    {
        using var emulator = SqsEmulator.Require();
        var name = SqsEmulator.UniqueName("ordered", fifo: true);
        var queueUrl = await emulator.CreateQueueAsync(name, attributes: new() { ["FifoQueue"] = "true" });
        await using var host = await SqsHosts.StartAsync(emulator.ServiceUrl);
        Assert.Equal(HttpStatusCode.Created, (await host.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey))).Status);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "fifo-" + i.ToString(CultureInfo.InvariantCulture))));
        }

        var received = await emulator.ReceiveAsync(name, 3);
        Assert.Equal(["fifo-0", "fifo-1", "fifo-2"], received.Select(m => m.MessageAttributes["transactionId"].StringValue));
        Assert.All(received, m => Assert.Equal(Device, m.Attributes["MessageGroupId"]));
    }

    [Fact]
    public async Task An_aws_queue_url_is_delivered_through_the_configured_endpoint()
    {
        // As through a VPC endpoint: the norn names the queue by its AWS URL, the host sends to the endpoint.
        using var emulator = SqsEmulator.Require();
        var name = SqsEmulator.UniqueName("vpce");
        await emulator.CreateQueueAsync(name);
        await using var host = await SqsHosts.StartAsync(emulator.ServiceUrl);
        var awsUrl = $"https://sqs.{SqsEmulator.Region}.amazonaws.com/123456789012/{name}";
        Assert.Equal(HttpStatusCode.Created, (await host.RegisterAsync(TestNorns.SqsRequest(Device, awsUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey))).Status);

        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device)));
        Assert.Single(await emulator.ReceiveAsync(name, 1));
    }

    [Fact]
    public async Task Throttling_and_5xx_answers_are_retried_and_the_event_arrives()
    {
        using var emulator = SqsEmulator.Require();
        await using var proxy = await SqsFaultProxy.StartAsync(emulator.ServiceUrl);
        var name = SqsEmulator.UniqueName("retried");
        var queueUrl = await emulator.CreateQueueAsync(name, proxy.BaseAddress);
        await using var host = await SqsHosts.StartAsync(proxy.BaseAddress, sqs: o => o.Retries = 3);
        using var requests = new MetricCollector<long>(
            host.Services.GetRequiredService<IMeterFactory>(), MimisbrunnrMetrics.MeterName, "mimisbrunnr.sqs.requests");
        Assert.Equal(HttpStatusCode.Created, (await host.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey))).Status);
        proxy.Enqueue(HttpStatusCode.BadRequest, "ThrottlingException");
        proxy.Enqueue(HttpStatusCode.InternalServerError, "InternalError");
        proxy.Enqueue(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");

        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device)));

        Assert.Single(await emulator.ReceiveAsync(name, 1));
        await requests.WaitForMeasurementsAsync(4, TimeSpan.FromSeconds(20)); // the success is counted just after the answer
        Assert.Equal(["SendMessage", "SendMessage", "SendMessage", "SendMessage"], proxy.Operations);
        var outcomes = requests.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]! + ":" + (m.Tags.TryGetValue("error.type", out var e) ? e : "-")).ToList();
        Assert.Equal(["error:ThrottlingException", "error:InternalError", "error:ServiceUnavailable", "success:-"], outcomes);
    }

    [Fact]
    public async Task Retries_that_run_out_drop_the_event_as_failed()
    {
        using var emulator = SqsEmulator.Require();
        await using var proxy = await SqsFaultProxy.StartAsync(emulator.ServiceUrl);
        var name = SqsEmulator.UniqueName("exhausted");
        var queueUrl = await emulator.CreateQueueAsync(name, proxy.BaseAddress);
        await using var host = await SqsHosts.StartAsync(proxy.BaseAddress, sqs: o => o.Retries = 1);
        using var drops = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), MimisbrunnrMetrics.MeterName, "mimisbrunnr.drops");
        Assert.Equal(HttpStatusCode.Created, (await host.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey))).Status);
        proxy.Enqueue(HttpStatusCode.InternalServerError, "InternalError", times: 2);

        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device)));

        await drops.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(20));
        Assert.Equal("failed", drops.LastMeasurement!.Tags["reason"]);
        Assert.Equal(1, drops.LastMeasurement.Value);
        Assert.Equal(2, proxy.Operations.Count);
        Assert.Equal((0, 0, 0), await emulator.InspectAsync(name));
    }
}
