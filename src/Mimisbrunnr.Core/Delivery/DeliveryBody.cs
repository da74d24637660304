using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Delivery;

/// <summary>Chooses the body and media type of an HTTP delivery from the norn's content type, and the WRP header values.</summary>
internal static class DeliveryBody
{
    private const string OctetStream = "application/octet-stream";

    /// <summary>The body (cached per event and shared across norns) and its media type.</summary>
    public static ReadOnlyMemory<byte> For(string? contentType, RoutedEvent routedEvent, out string mediaType)
    {
        if (string.Equals(contentType, DeliveryContentTypes.MsgPack, StringComparison.OrdinalIgnoreCase))
        {
            mediaType = DeliveryContentTypes.MsgPack;
            return routedEvent.GetWrpMsgPack();
        }

        if (string.Equals(contentType, DeliveryContentTypes.Payload, StringComparison.OrdinalIgnoreCase))
        {
            var message = routedEvent.Message;
            mediaType = IsHeaderSafe(message.ContentType) && message.ContentType.Length > 0 ? message.ContentType : OctetStream;
            return message.Payload ?? ReadOnlyMemory<byte>.Empty;
        }

        mediaType = DeliveryContentTypes.Json;
        return routedEvent.GetWrpJson();
    }

    /// <summary>wrp-go's <c>MessageType.FriendlyName()</c>: the Go constant name without its <c>MessageType</c> suffix.</summary>
    public static string FriendlyName(MessageType type) => type switch
    {
        MessageType.Invalid0 => "Invalid0",
        MessageType.Invalid1 => "Invalid1",
        MessageType.Authorization => "Authorization",
        MessageType.SimpleRequestResponse => "SimpleRequestResponse",
        MessageType.SimpleEvent => "SimpleEvent",
        MessageType.Create => "Create",
        MessageType.Retrieve => "Retrieve",
        MessageType.Update => "Update",
        MessageType.Delete => "Delete",
        MessageType.ServiceRegistration => "ServiceRegistration",
        MessageType.ServiceAlive => "ServiceAlive",
        MessageType.Unknown => "Unknown",
        _ => string.Empty, // wrp-go has no name for values outside the enumeration
    };

    /// <summary>
    /// A header value as sent: device-supplied text is sent as is when it is printable ASCII, percent-encoded otherwise
    /// (a control character would break the request, and non-ASCII is not portable in HTTP/1.1 headers).
    /// </summary>
    public static string HeaderValue(string value) => IsHeaderSafe(value) ? value : Uri.EscapeDataString(value);

    private static bool IsHeaderSafe(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
