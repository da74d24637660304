using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Routing;

/// <summary>
/// One received event on its way to the norns of its device: the message plus what routing worked out once, so that
/// the norns share it (the device id, the event type and, lazily, the encoded delivery bodies).
/// </summary>
public sealed partial class RoutedEvent
{
    /// <summary>Creates a routed event.</summary>
    /// <param name="message">The decoded, validated WRP message.</param>
    /// <param name="deviceId">The canonical device id routing extracted.</param>
    /// <param name="eventType">The event type: <c>dest</c> without the <c>event:</c> scheme.</param>
    /// <param name="receivedAt">When the host received it.</param>
    public RoutedEvent(WrpMessage message, DeviceId deviceId, string eventType, DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(eventType);
        Message = message;
        DeviceId = deviceId;
        EventType = eventType;
        ReceivedAt = receivedAt;
    }

    /// <summary>The WRP message.</summary>
    public WrpMessage Message { get; }

    /// <summary>The canonical device id.</summary>
    public DeviceId DeviceId { get; }

    /// <summary>The event type (<c>dest</c> without <c>event:</c>), for example <c>device-status/mac:112233445566/online</c>.</summary>
    public string EventType { get; }

    /// <summary>When the host received the event.</summary>
    public DateTimeOffset ReceivedAt { get; }
}
