using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mimisbrunnr.Delivery;

namespace Mimisbrunnr.Client.Verification;

/// <summary>
/// Verifies what Mimisbrunnr delivers to a norn's URL, and the cut-off notice it sends to the failure URL, with the
/// norn's secret. No ASP.NET Core dependency: give it the request headers and the exact body bytes.
/// </summary>
/// <remarks>
/// <para>
/// Standard Webhooks (default): the HMAC-SHA256 of <c>{webhook-id}.{webhook-timestamp}.{body}</c>, keyed with the
/// secret's UTF-8 bytes, or with the decoded key when the secret is a <c>whsec_</c> base64 secret (exactly as the server
/// signs); the timestamp must be within <see cref="DeliveryVerifierOptions.Tolerance"/> of now. Caduceus style:
/// <c>X-Webpa-Signature: sha1=</c> and the hex HMAC-SHA1 of the body. Comparisons are constant-time.
/// </para>
/// <para>Verify the raw body before parsing it: read it into memory as it arrived, without re-encoding.</para>
/// <para>Thread-safe: create one per secret and share it.</para>
/// </remarks>
/// <example>
/// <code>
/// var verifier = new DeliveryVerifier(secret);
/// var delivery = verifier.Verify(name => request.Headers[name], body); // throws DeliveryVerificationException
/// var message = delivery.DecodeWrp();
/// </code>
/// </example>
public sealed class DeliveryVerifier
{
    private const int Sha256Length = 32;
    private const int Sha1Length = 20;

    private readonly byte[] _sha1Key;
    private readonly byte[] _standardWebhooksKey;
    private readonly DeliverySignatureScheme _scheme;
    private readonly TimeSpan _tolerance;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a verifier with the default options (Standard Webhooks, 5 minutes' tolerance).</summary>
    /// <param name="secret">The secret the norn was registered with.</param>
    public DeliveryVerifier(string secret)
        : this(secret, new DeliveryVerifierOptions())
    {
    }

    /// <summary>Creates a verifier.</summary>
    /// <param name="secret">The secret the norn was registered with.</param>
    /// <param name="options">The scheme, tolerance and clock.</param>
    /// <exception cref="ArgumentException">The secret is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The tolerance is negative or the scheme unknown.</exception>
    public DeliveryVerifier(string secret, DeliveryVerifierOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Tolerance, TimeSpan.Zero);
        if (!Enum.IsDefined(options.Scheme))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Scheme, "Unknown signature scheme.");
        }

        _sha1Key = Encoding.UTF8.GetBytes(secret);
        _standardWebhooksKey = DeliverySignatures.GetStandardWebhooksKey(secret);
        _scheme = options.Scheme;
        _tolerance = options.Tolerance;
        _timeProvider = options.TimeProvider ?? TimeProvider.System;
    }

    /// <summary>Verifies a delivery.</summary>
    /// <param name="headers">
    /// The request headers, for example <see cref="System.Net.Http.Headers.HttpHeaders"/>; names match in any case,
    /// repeated values are joined. Include <c>Content-Type</c> to use <see cref="VerifiedDelivery.DecodeWrp"/>.
    /// </param>
    /// <param name="body">The exact body bytes.</param>
    /// <returns>The verified delivery.</returns>
    /// <exception cref="DeliverySignatureException">A signature is missing or wrong.</exception>
    /// <exception cref="DeliveryTimestampException">The timestamp is unreadable or outside the tolerance.</exception>
    public VerifiedDelivery Verify(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return Verify(name => Find(headers, name), body);
    }

    /// <summary>Verifies a delivery.</summary>
    /// <param name="header">
    /// Looks a header up by name, in any case, and returns its value or <see langword="null"/>; in ASP.NET Core
    /// <c>name =&gt; request.Headers[name]</c>.
    /// </param>
    /// <param name="body">The exact body bytes.</param>
    /// <returns>The verified delivery.</returns>
    /// <exception cref="DeliverySignatureException">A signature is missing or wrong.</exception>
    /// <exception cref="DeliveryTimestampException">The timestamp is unreadable or outside the tolerance.</exception>
    public VerifiedDelivery Verify(Func<string, string?> header, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        var timestamp = VerifySignatures(header, body.Span);
        return new VerifiedDelivery(body, header, timestamp);
    }

    /// <summary>Verifies and reads the cut-off notice posted to a norn's failure URL.</summary>
    /// <param name="headers">The request headers.</param>
    /// <param name="body">The exact body bytes.</param>
    /// <returns>The notice.</returns>
    /// <exception cref="DeliverySignatureException">A signature is missing or wrong.</exception>
    /// <exception cref="DeliveryTimestampException">The timestamp is unreadable or outside the tolerance.</exception>
    /// <exception cref="DeliveryBodyException">The body is not the notice's JSON.</exception>
    public NornCutOffMessage VerifyCutOffMessage(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return VerifyCutOffMessage(name => Find(headers, name), body);
    }

    /// <summary>Verifies and reads the cut-off notice posted to a norn's failure URL.</summary>
    /// <param name="header">Looks a header up by name, in any case.</param>
    /// <param name="body">The exact body bytes.</param>
    /// <returns>The notice.</returns>
    /// <exception cref="DeliverySignatureException">A signature is missing or wrong.</exception>
    /// <exception cref="DeliveryTimestampException">The timestamp is unreadable or outside the tolerance.</exception>
    /// <exception cref="DeliveryBodyException">The body is not the notice's JSON.</exception>
    public NornCutOffMessage VerifyCutOffMessage(Func<string, string?> header, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        VerifySignatures(header, body.Span);
        CutOffMessageDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(body.Span, VerificationJsonContext.Default.CutOffMessageDocument);
        }
        catch (JsonException ex)
        {
            throw new DeliveryBodyException("The body is not a cut-off notice: " + ex.Message, ex);
        }

        if (document is not { Text: { } text, Norn: { } norn, CutOffPeriod: { } period, QueueSize: { } queueSize, WorkerCount: { } workers })
        {
            throw new DeliveryBodyException(
                "The body is not a cut-off notice: it needs text, norn, cut_off_period, queue_size and worker_count.");
        }

        if (!GoDuration.TryParse(period, out var cutOffPeriod))
        {
            throw new DeliveryBodyException($"The cut-off notice's cut_off_period '{period}' is not a duration such as 10s or 1m30s.");
        }

        return new NornCutOffMessage { Text = text, Norn = norn, CutOffPeriod = cutOffPeriod, QueueSize = queueSize, WorkerCount = workers };
    }

    private static string? Find(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers, string name)
    {
        string? found = null;
        foreach (var header in headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase) && header.Value is not null)
            {
                foreach (var value in header.Value)
                {
                    found = found is null ? value : found + "," + value;
                }
            }
        }

        return found;
    }

    private static string Required(Func<string, string?> header, string name)
    {
        var value = header(name);
        return string.IsNullOrWhiteSpace(value)
            ? throw new DeliverySignatureException($"The {name} header is missing; the delivery is unsigned or was not sent by Mimisbrunnr.")
            : value.Trim();
    }

    /// <summary>Checks the configured signatures; returns the Standard Webhooks timestamp when it was checked.</summary>
    private DateTimeOffset? VerifySignatures(Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        DateTimeOffset? timestamp = null;
        if (_scheme is DeliverySignatureScheme.StandardWebhooks or DeliverySignatureScheme.Both)
        {
            timestamp = VerifyStandardWebhooks(header, body);
        }

        if (_scheme is DeliverySignatureScheme.WebpaSignature or DeliverySignatureScheme.Both)
        {
            VerifyWebpa(header, body);
        }

        return timestamp;
    }

    private DateTimeOffset VerifyStandardWebhooks(Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        var id = Required(header, DeliveryHeaders.WebhookId);
        var timestampText = Required(header, DeliveryHeaders.WebhookTimestamp);
        var signatures = Required(header, DeliveryHeaders.WebhookSignature);

        if (!long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            throw new DeliveryTimestampException($"The {DeliveryHeaders.WebhookTimestamp} header '{timestampText}' is not Unix seconds.");
        }

        var timestamp = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var now = _timeProvider.GetUtcNow();
        if (now - timestamp > _tolerance)
        {
            throw new DeliveryTimestampException(
                $"The delivery was signed at {timestamp:O}, more than {_tolerance} before now ({now:O}): a replay, a badly delayed delivery, or a slow clock.",
                timestamp);
        }

        if (timestamp - now > _tolerance)
        {
            throw new DeliveryTimestampException(
                $"The delivery was signed at {timestamp:O}, more than {_tolerance} after now ({now:O}): a clock out of step.", timestamp);
        }

        Span<byte> expected = stackalloc byte[Sha256Length];
        using (var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _standardWebhooksKey))
        {
            hmac.AppendData(Encoding.UTF8.GetBytes(string.Concat(id, ".", timestampText, ".")));
            hmac.AppendData(body);
            hmac.GetHashAndReset(expected);
        }

        // "v1,<base64> v1,<base64>"; repeated headers may have been joined with commas instead of spaces.
        Span<byte> candidate = stackalloc byte[Sha256Length + 3];
        var tokens = signatures.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
        var sawV1 = false;
        var match = false;
        for (var i = 0; i + 1 < tokens.Length; i++)
        {
            if (tokens[i] != "v1")
            {
                continue;
            }

            sawV1 = true;
            var value = tokens[++i];
            if (Convert.TryFromBase64String(value, candidate, out var written) && written == Sha256Length)
            {
                // No early exit: every candidate is compared, in constant time.
                match |= CryptographicOperations.FixedTimeEquals(candidate[..written], expected);
            }
        }

        if (!match)
        {
            throw new DeliverySignatureException(sawV1
                ? $"No {DeliveryHeaders.WebhookSignature} value matches the body under this secret: the body was altered, or the secret is not the norn's."
                : $"The {DeliveryHeaders.WebhookSignature} header has no v1 signature.");
        }

        return timestamp;
    }

    private void VerifyWebpa(Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        var value = header(DeliveryHeaders.WebpaSignature);
        var name = DeliveryHeaders.WebpaSignature;
        if (string.IsNullOrWhiteSpace(value))
        {
            value = header(DeliveryHeaders.CodexSignature);
            name = DeliveryHeaders.CodexSignature;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            throw new DeliverySignatureException(
                $"The {DeliveryHeaders.WebpaSignature} header is missing; the delivery is unsigned or was not sent by Mimisbrunnr.");
        }

        value = value.Trim();
        const string Prefix = "sha1=";
        Span<byte> candidate = stackalloc byte[Sha1Length];
        if (!value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
            || value.Length != Prefix.Length + (2 * Sha1Length)
            || Convert.FromHexString(value.AsSpan(Prefix.Length), candidate, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != Sha1Length)
        {
            throw new DeliverySignatureException($"The {name} header is not 'sha1=' followed by 40 hex digits.");
        }

        Span<byte> expected = stackalloc byte[Sha1Length];
        HMACSHA1.HashData(_sha1Key, body, expected);
        if (!CryptographicOperations.FixedTimeEquals(candidate, expected))
        {
            throw new DeliverySignatureException(
                $"The {name} signature does not match the body under this secret: the body was altered, or the secret is not the norn's.");
        }
    }
}
