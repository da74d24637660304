using System.Buffers;
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

    private const string WebpaPrefix = "sha1=";
    private const string StandardWebhooksPrefix = "v1,";

    // Keys up to this many UTF-8 bytes live on the stack while signing; longer ones in a pooled array.
    private const int StackKeyBytes = 256;

    /// <summary>Computes the <see cref="DeliveryHeaders.WebpaSignature"/> value.</summary>
    /// <param name="secret">The norn secret.</param>
    /// <param name="body">The exact body bytes.</param>
    /// <returns><c>sha1=</c> followed by 40 lowercase hex digits.</returns>
    public static string ComputeWebpaSignature(string secret, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Span<byte> mac = stackalloc byte[HMACSHA1.HashSizeInBytes];
        byte[]? rented = null;
        var keyBytes = Encoding.UTF8.GetMaxByteCount(secret.Length) <= StackKeyBytes
            ? stackalloc byte[StackKeyBytes]
            : (rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(secret.Length)));
        var key = keyBytes[..Encoding.UTF8.GetBytes(secret, keyBytes)];
        try
        {
            HMACSHA1.HashData(key, body, mac);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        return FormatWebpaSignature(mac);
    }

    /// <summary><c>sha1=</c> and the lowercase hex of an HMAC-SHA1.</summary>
    internal static string FormatWebpaSignature(ReadOnlySpan<byte> mac) =>
        string.Create(WebpaPrefix.Length + (2 * HMACSHA1.HashSizeInBytes), mac, static (chars, hash) =>
        {
            WebpaPrefix.CopyTo(chars);
            Convert.TryToHexStringLower(hash, chars[WebpaPrefix.Length..], out _);
        });

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
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(webhookId);

        // The key and the signed content ("{id}.{timestamp}.{body}") in pooled or stack buffers: one string is allocated,
        // the result.
        byte[]? rentedKey = null;
        var keyBytes = Encoding.UTF8.GetMaxByteCount(secret.Length) <= StackKeyBytes
            ? stackalloc byte[StackKeyBytes]
            : (rentedKey = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(secret.Length)));
        var key = keyBytes[..WriteStandardWebhooksKey(secret, keyBytes)];
        var contentLength = Encoding.UTF8.GetMaxByteCount(webhookId.Length) + 22 + body.Length; // 2 dots, 20 digits
        var content = ArrayPool<byte>.Shared.Rent(contentLength);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        try
        {
            var length = Encoding.UTF8.GetBytes(webhookId, content);
            content[length++] = (byte)'.';
            timestamp.TryFormat(content.AsSpan(length), out var digits, provider: CultureInfo.InvariantCulture);
            length += digits;
            content[length++] = (byte)'.';
            body.CopyTo(content.AsSpan(length));
            length += body.Length;
            HMACSHA256.HashData(key, content.AsSpan(0, length), mac);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            if (rentedKey is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedKey);
            }

            ArrayPool<byte>.Shared.Return(content);
        }

        return FormatStandardWebhooksSignature(mac);
    }

    /// <summary><c>v1,</c> and the base64 of an HMAC-SHA256.</summary>
    internal static string FormatStandardWebhooksSignature(ReadOnlySpan<byte> mac) =>
        string.Create(StandardWebhooksPrefix.Length + 44, mac, static (chars, hash) => // 32 bytes: 44 base64 chars
        {
            StandardWebhooksPrefix.CopyTo(chars);
            Convert.TryToBase64Chars(hash, chars[StandardWebhooksPrefix.Length..], out _);
        });

    /// <summary>Writes the Standard Webhooks key bytes of <paramref name="secret"/> (see <see cref="GetStandardWebhooksKey"/>).</summary>
    /// <param name="secret">The norn secret.</param>
    /// <param name="destination">At least <see cref="Encoding.GetMaxByteCount(int)"/> of the secret's length in UTF-8.</param>
    /// <returns>The number of key bytes written.</returns>
    private static int WriteStandardWebhooksKey(string secret, Span<byte> destination)
    {
        if (secret.StartsWith(StandardWebhooksSecretPrefix, StringComparison.Ordinal)
            && Convert.TryFromBase64Chars(secret.AsSpan(StandardWebhooksSecretPrefix.Length), destination, out var written)
            && written > 0)
        {
            return written;
        }

        return Encoding.UTF8.GetBytes(secret, destination);
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
