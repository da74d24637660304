using System.Text;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Dispatch;

/// <summary>Numbered events for the dispatch and delivery tests (norns come from <see cref="TestNorns"/>).</summary>
public static class TestData
{
    public const string Device = TestNorns.Device;

    /// <summary>Event number <paramref name="i"/>: its transaction id is <c>tx-{i:D6}</c>, its payload <c>{"n":i}</c>.</summary>
    public static WrpMessage Message(int i, string device = Device, string contentType = "application/json") => new()
    {
        Type = MessageType.SimpleEvent,
        Source = device + "/parodus",
        Destination = $"event:device-status/{device}/online",
        TransactionUuid = $"tx-{i:D6}",
        ContentType = contentType,
        Metadata = new Dictionary<string, string> { ["/trust"] = "1000" },
        PartnerIds = ["comcast"],
        Payload = Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"),
    };

    /// <summary>Event number <paramref name="i"/> as routed at <see cref="TestNorns.T0"/>.</summary>
    public static RoutedEvent Event(int i, string device = Device, WrpMessage? message = null)
    {
        var wrp = message ?? Message(i, device);
        return new RoutedEvent(wrp, DeviceId.Parse(device), wrp.Destination["event:".Length..], TestNorns.T0);
    }

    /// <summary>The number of an event made by <see cref="Event"/>.</summary>
    public static int Number(RoutedEvent routedEvent) => int.Parse(routedEvent.Message.TransactionUuid["tx-".Length..], System.Globalization.CultureInfo.InvariantCulture);
}
