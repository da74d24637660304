using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Mimisbrunnr.Delivery;

/// <summary>
/// The signatures put on signed deliveries, so that receivers (and the client SDK) can verify them the same way.
/// </summary>
/// <remarks>
/// <para>
/// Caduceus style (<see cref="DeliveryHeaders.WebpaSignature"/>): <c>sha1=</c> and the lowercase hex HMAC-SHA1 of the
/// exact body bytes, keyed with the UTF-8 bytes of the secret.
/// </para>
/// <para>
/// Standard Webhooks v1 (<see cref="DeliveryHeaders.WebhookSignature"/>): <c>v1,</c> and the base64 HMAC-SHA256 of
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c>. Standard Webhooks keys are normally <c>whsec_</c> followed by base64;
/// a norn secret of that form is decoded to its key bytes (so the consumer's Standard Webhooks library verifies with
/// the secret as given), any other secret is used as its UTF-8 bytes.
/// </para>
/// </remarks>
public static class DeliverySignatures
{
    /// <summary>The prefix of base64 Standard Webhooks secrets.</summary>
    public const string StandardWebhooksSecretPrefix = "whsec_";

    /// <summary>Computes the <see cref="DeliveryHeaders.WebpaSignature"/> value.</summary>
    /// <param name="secret">The norn secret.</param>
    /// <param name="body">The exact body bytes.</param>
    /// <returns><c>sha1=</c> followed by 40 lowercase hex digits.</returns>
    public static string ComputeWebpaSignature(string secret, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Span<byte> mac = stackalloc byte[HMACSHA1.HashSizeInBytes];
        var key = Encoding.UTF8.GetBytes(secret);
        HMACSHA1.HashData(key, body, mac);
        return "sha1=" + Convert.ToHexStringLower(mac);
    }

    /// <summary>The HMAC-SHA256 key of a secret for Standard Webhooks (see the remarks of <see cref="DeliverySignatures"/>).</summary>
    /// <param name="secret">The norn secret.</param>
    /// <returns>The key bytes.</returns>
    public static byte[] GetStandardWebhooksKey(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.StartsWith(StandardWebhooksSecretPrefix, StringComparison.Ordinal))
        {
            var encoded = secret.AsSpan(StandardWebhooksSecretPrefix.Length);
            var buffer = new byte[encoded.Length];
            if (Convert.TryFromBase64Chars(encoded, buffer, out var written) && written > 0)
            {
                return buffer.AsSpan(0, written).ToArray();
            }
        }

        return Encoding.UTF8.GetBytes(secret);
    }

    /// <summary>Computes the <see cref="DeliveryHeaders.WebhookSignature"/> value.</summary>
    /// <param name="secret">The norn secret.</param>
    /// <param name="webhookId">The <see cref="DeliveryHeaders.WebhookId"/> value.</param>
    /// <param name="timestamp">The <see cref="DeliveryHeaders.WebhookTimestamp"/> value (Unix seconds).</param>
    /// <param name="body">The exact body bytes.</param>
    /// <returns><c>v1,</c> followed by the base64 signature.</returns>
    public static string ComputeStandardWebhooksSignature(string secret, string webhookId, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(webhookId);
        var key = GetStandardWebhooksKey(secret);
        var prefix = Encoding.UTF8.GetBytes(string.Concat(webhookId, ".", timestamp.ToString(CultureInfo.InvariantCulture), "."));
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        hmac.GetHashAndReset(mac);
        return "v1," + Convert.ToBase64String(mac);
    }

    /// <summary>
    /// Puts the headers of a notice (cut-off, failure) on a request: a fresh <see cref="DeliveryHeaders.WebhookId"/>,
    /// <see cref="DeliveryHeaders.WebhookTimestamp"/>, and with a secret <see cref="DeliveryHeaders.WebpaSignature"/>
    /// and <see cref="DeliveryHeaders.WebhookSignature"/> over <paramref name="body"/>, as on deliveries.
    /// </summary>
    /// <param name="request">The notice request.</param>
    /// <param name="body">The exact body bytes.</param>
    /// <param name="secret">The revealed secret; <see langword="null"/> or empty leaves the notice unsigned.</param>
    /// <param name="now">The time of sending.</param>
    public static void SignNotice(HttpRequestMessage request, byte[] body, string? secret, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(body);
        var webhookId = "msg_" + Guid.NewGuid().ToString("N");
        var timestamp = now.ToUnixTimeSeconds();
        request.Headers.TryAddWithoutValidation(DeliveryHeaders.WebhookId, webhookId);
        request.Headers.TryAddWithoutValidation(DeliveryHeaders.WebhookTimestamp, timestamp.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(secret))
        {
            request.Headers.TryAddWithoutValidation(DeliveryHeaders.WebpaSignature, ComputeWebpaSignature(secret, body));
            request.Headers.TryAddWithoutValidation(
                DeliveryHeaders.WebhookSignature, ComputeStandardWebhooksSignature(secret, webhookId, timestamp, body));
        }
    }
}
