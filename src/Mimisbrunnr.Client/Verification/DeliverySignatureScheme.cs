namespace Mimisbrunnr.Client.Verification;

/// <summary>Which signature a <see cref="DeliveryVerifier"/> requires.</summary>
public enum DeliverySignatureScheme
{
    /// <summary>
    /// Standard Webhooks v1 (the default): <c>webhook-id</c>, <c>webhook-timestamp</c> (checked against the tolerance,
    /// which stops replays) and <c>webhook-signature</c> (HMAC-SHA256; any one of several space-separated
    /// <c>v1,&lt;base64&gt;</c> values may match).
    /// </summary>
    StandardWebhooks = 0,

    /// <summary>
    /// Caduceus's <c>X-Webpa-Signature: sha1=&lt;hex&gt;</c> (HMAC-SHA1 of the body; <c>X-Codex-Signature</c> is read when
    /// it is absent). It has no timestamp, so a captured delivery can be replayed: prefer
    /// <see cref="StandardWebhooks"/> unless your receiver was written for Caduceus.
    /// </summary>
    WebpaSignature = 1,

    /// <summary>Both signatures must be present and valid.</summary>
    Both = 2,
}
