using Mimisbrunnr.Delivery;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Client.Verification;

/// <summary>
/// A delivery whose signature checked out: its body, its Content-Type, and the Caduceus and Standard Webhooks headers
/// that came with it. <see cref="DecodeWrp"/> reads the WRP message of a norn registered with content type
/// <c>application/json</c> or <c>application/msgpack</c>; a norn registered with <c>payload</c> receives the WRP payload
/// alone, in <see cref="Body"/>, with the WRP message's own content type.
/// </summary>
/// <remarks>
/// Header values are as sent: Mimisbrunnr percent-encodes device-supplied values that are not printable ASCII. The
/// delivery refers to the body memory it was verified with; it does not copy it.
/// </remarks>
public sealed class VerifiedDelivery
{
    internal VerifiedDelivery(ReadOnlyMemory<byte> body, Func<string, string?> header, DateTimeOffset? timestamp)
    {
        Body = body;
        ContentType = MediaType(header("Content-Type"));
        WebhookId = Blank(header(DeliveryHeaders.WebhookId));
        Timestamp = timestamp;
        EventType = Blank(header(DeliveryHeaders.Event));
        DeviceId = Blank(header(DeliveryHeaders.DeviceId));
        TransactionId = Blank(header(DeliveryHeaders.TransactionId));
        Source = Blank(header(DeliveryHeaders.Source));
        Destination = Blank(header(DeliveryHeaders.Destination));
        MessageType = Blank(header(DeliveryHeaders.MessageType));
    }

    /// <summary>The exact body bytes.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The media type of the body, lower-case and without parameters (for example <c>application/msgpack</c>).</summary>
    public string? ContentType { get; }

    /// <summary>
    /// The <c>webhook-id</c>: the same for every retry of one event to one norn, so it is the key to drop duplicates.
    /// </summary>
    public string? WebhookId { get; }

    /// <summary>The <c>webhook-timestamp</c> of this attempt, when it was checked (Standard Webhooks).</summary>
    public DateTimeOffset? Timestamp { get; }

    /// <summary><c>X-Webpa-Event</c>: the event type, the WRP <c>dest</c> without <c>event:</c> (for example <c>device-status/mac:112233445566/online</c>).</summary>
    public string? EventType { get; }

    /// <summary><c>X-Webpa-Device-Id</c>: the canonical device id.</summary>
    public string? DeviceId { get; }

    /// <summary><c>X-Webpa-Transaction-Id</c>: the WRP transaction id.</summary>
    public string? TransactionId { get; }

    /// <summary><c>X-Webpa-Source</c>: the WRP <c>source</c>.</summary>
    public string? Source { get; }

    /// <summary><c>X-Webpa-Destination</c>: the WRP <c>dest</c>.</summary>
    public string? Destination { get; }

    /// <summary><c>X-Xmidt-Message-Type</c>: the WRP message type's name, for example <c>SimpleEvent</c>.</summary>
    public string? MessageType { get; }

    /// <summary>Whether the body is a whole WRP message (JSON or msgpack) rather than a payload alone.</summary>
    /// <remarks>
    /// A payload whose own content type is <c>application/json</c> looks like WRP JSON here: you know which
    /// content type you registered, so prefer that knowledge to this guess.
    /// </remarks>
    public bool IsWrp => ContentType is DeliveryContentTypes.Json or DeliveryContentTypes.MsgPack;

    /// <summary>Decodes the body as a WRP message by its Content-Type: WRP JSON or WRP msgpack.</summary>
    /// <returns>The message.</returns>
    /// <exception cref="DeliveryBodyException">The Content-Type is not a WRP encoding, or the body is not a WRP message.</exception>
    public WrpMessage DecodeWrp()
    {
        try
        {
            return ContentType switch
            {
                DeliveryContentTypes.Json => WrpJson.Decode(Body.Span),
                DeliveryContentTypes.MsgPack => WrpMsgPack.Decode(Body.Span),
                _ => throw new DeliveryBodyException(
                    $"Content-Type '{ContentType ?? "(none)"}' is not a WRP encoding (application/json or application/msgpack). "
                    + "A norn registered with contentType 'payload' receives only the WRP payload: read Body instead."),
            };
        }
        catch (WrpFormatException ex)
        {
            throw new DeliveryBodyException($"The body is not a WRP message in {ContentType}: {ex.Message}", ex);
        }
    }

    internal static string? MediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }

    private static string? Blank(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
