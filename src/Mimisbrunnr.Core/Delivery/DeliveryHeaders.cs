namespace Mimisbrunnr.Delivery;

/// <summary>The HTTP headers Mimisbrunnr puts on deliveries (Caduceus's, plus Standard Webhooks v1 when signed).</summary>
public static class DeliveryHeaders
{
    /// <summary>The event type: the WRP <c>dest</c> without <c>event:</c>.</summary>
    public const string Event = "X-Webpa-Event";

    /// <summary>The WRP transaction id.</summary>
    public const string TransactionId = "X-Webpa-Transaction-Id";

    /// <summary>The canonical device id.</summary>
    public const string DeviceId = "X-Webpa-Device-Id";

    /// <summary>The WRP <c>source</c>.</summary>
    public const string Source = "X-Webpa-Source";

    /// <summary>The WRP <c>dest</c>.</summary>
    public const string Destination = "X-Webpa-Destination";

    /// <summary>The WRP message type's friendly name as wrp-go writes it, for example <c>SimpleEvent</c>.</summary>
    public const string MessageType = "X-Xmidt-Message-Type";

    /// <summary><c>sha1=&lt;lowercase hex HMAC-SHA1(secret, body)&gt;</c>, as Caduceus signs (wrp-listener verifies it).</summary>
    public const string WebpaSignature = "X-Webpa-Signature";

    /// <summary>The same value as <see cref="WebpaSignature"/>, under the original Go Mimisbrunnr's name.</summary>
    public const string CodexSignature = "X-Codex-Signature";

    /// <summary>Standard Webhooks: the message id, the same for every retry of one delivery.</summary>
    public const string WebhookId = "webhook-id";

    /// <summary>Standard Webhooks: the attempt's time in Unix seconds.</summary>
    public const string WebhookTimestamp = "webhook-timestamp";

    /// <summary>Standard Webhooks: <c>v1,&lt;base64 HMAC-SHA256(key, id.timestamp.body)&gt;</c>.</summary>
    public const string WebhookSignature = "webhook-signature";
}
