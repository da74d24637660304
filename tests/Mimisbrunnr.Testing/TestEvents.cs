using System.Text;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Testing;

/// <summary>WRP events as devices send them through Caduceus, for tests that post to <c>/events</c>.</summary>
public static class TestEvents
{
    /// <summary>
    /// A <c>device-status</c> simple event of <paramref name="device"/>: source <c>{device}/parodus</c>, destination
    /// <c>event:device-status/{device}/{eventName}</c>, a JSON payload <c>{"status":"{eventName}"}</c> unless another is
    /// given, and <c>/boot-time</c> metadata.
    /// </summary>
    /// <param name="device">The device id, as the device spells it.</param>
    /// <param name="eventName">The last segment of the event type.</param>
    /// <param name="transaction">The transaction UUID (shows as <c>X-Webpa-Transaction-Id</c> on deliveries).</param>
    /// <param name="contentType">The payload's content type.</param>
    /// <param name="payload">The payload text (default the status JSON).</param>
    /// <param name="partnerIds">The event's <c>partner_ids</c> (default none).</param>
    /// <returns>The message.</returns>
    public static WrpMessage DeviceStatus(
        string device,
        string eventName = "online",
        string transaction = "txn-1",
        string contentType = "application/json",
        string? payload = null,
        IReadOnlyList<string>? partnerIds = null) => new()
        {
            Type = MessageType.SimpleEvent,
            Source = $"{device}/parodus",
            Destination = $"event:device-status/{device}/{eventName}",
            TransactionUuid = transaction,
            ContentType = contentType,
            Payload = Encoding.UTF8.GetBytes(payload ?? "{\"status\":\"" + eventName + "\"}"),
            Metadata = new Dictionary<string, string> { ["/boot-time"] = "1542834188" },
            PartnerIds = partnerIds,
        };
}
