using System.Net;
using System.Text;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Sqs.Tests;

public sealed class SqsDeliveryTests
{
    private const string Device = "mac:112233445566";

    [Fact]
    public async Task Event_posted_to_the_host_arrives_in_the_queue_as_wrp_json_with_its_attributes()
    {
        using var emulator = SqsEmulator.Require();
        var name = SqsEmulator.UniqueName("delivery");
        var queueUrl = await emulator.CreateQueueAsync(name);
        await using var host = await SqsTestHost.StartAsync(emulator.ServiceUrl);
        var (status, norn) = await host.RegisterAsync(SqsTestHost.SqsNorn("MAC:11-22-33-44-55-66", queueUrl));
        Assert.Equal(HttpStatusCode.Created, status);
        var sqs = norn.GetProperty("destination").GetProperty("sqs");
        Assert.Equal(queueUrl, sqs.GetProperty("queueUrl").GetString());
        Assert.Equal(SqsEmulator.Region, sqs.GetProperty("region").GetString());
        Assert.True(sqs.GetProperty("hasCredentials").GetBoolean());
        Assert.DoesNotContain(SqsEmulator.SecretAccessKey, norn.GetRawText(), StringComparison.Ordinal);

        var message = SqsTestHost.Event(Device);
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
}
