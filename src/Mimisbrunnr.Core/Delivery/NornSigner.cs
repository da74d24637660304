using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Delivery;

/// <summary>
/// The signing state of one norn version while it is active: its revealed secret and keyed HMACs (SHA-1 for
/// <see cref="DeliveryHeaders.WebpaSignature"/>, SHA-256 for <see cref="DeliveryHeaders.WebhookSignature"/>) that are
/// reset, not re-created, between deliveries. The values are those of <see cref="DeliverySignatures"/>.
/// </summary>
/// <remarks>
/// <para>
/// A one-shot HMAC sets up the native context and the key on every call: for a delivery body of a few hundred bytes,
/// about twice the time of a reused context. A signer also spares revealing the stored secret (an AES-GCM decryption)
/// for every send.
/// </para>
/// <para>
/// One user at a time: the dispatcher's tracker (<c>NornDeliveryTracker.SenderState</c>) holds at most one, a send takes
/// it (<see cref="Take"/>) and gives it back (<see cref="Return"/>); a second worker of the same norn, meanwhile, signs
/// with a signer of its own. It lives as long as the norn's dispatcher (idle norns hold none), and the revealed secret
/// lives as long as it: an active norn's key is in memory anyway while it signs.
/// </para>
/// </remarks>
internal sealed class NornSigner : IDisposable
{
    private readonly IncrementalHash _webpa;
    private readonly IncrementalHash _standardWebhooks;

    private NornSigner(HttpDestination destination, string secret)
    {
        Destination = destination;
        Secret = secret;
        _webpa = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, Encoding.UTF8.GetBytes(secret));
        _standardWebhooks = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, DeliverySignatures.GetStandardWebhooksKey(secret));
    }

    /// <summary>The norn version this signer belongs to (its stored secret, URL and content type).</summary>
    public HttpDestination Destination { get; }

    /// <summary>The revealed secret.</summary>
    public string Secret { get; }

    /// <summary>Takes the signer kept in <paramref name="slot"/> when it belongs to <paramref name="destination"/>.</summary>
    /// <returns>The signer, now the caller's alone, or <see langword="null"/>.</returns>
    public static NornSigner? Take(ref object? slot, HttpDestination destination)
    {
        var taken = Interlocked.Exchange(ref slot, null);
        if (taken is NornSigner signer && ReferenceEquals(signer.Destination, destination))
        {
            return signer;
        }

        (taken as IDisposable)?.Dispose(); // of an older version of the norn
        return null;
    }

    /// <summary>Creates a signer for a revealed secret.</summary>
    public static NornSigner Create(HttpDestination destination, string secret) => new(destination, secret);

    /// <summary>Keeps <paramref name="signer"/> in <paramref name="slot"/> for the next send, unless another is there.</summary>
    public static void Return(ref object? slot, NornSigner signer)
    {
        if (Interlocked.CompareExchange(ref slot, signer, null) is not null)
        {
            signer.Dispose();
        }
    }

    /// <summary>The <see cref="DeliveryHeaders.WebpaSignature"/> value of a body.</summary>
    public string WebpaSignature(ReadOnlySpan<byte> body)
    {
        Span<byte> mac = stackalloc byte[HMACSHA1.HashSizeInBytes];
        _webpa.AppendData(body);
        _webpa.GetHashAndReset(mac);
        return DeliverySignatures.FormatWebpaSignature(mac);
    }

    /// <summary>The <see cref="DeliveryHeaders.WebhookSignature"/> value: HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>.</summary>
    public string StandardWebhooksSignature(string webhookId, long timestamp, ReadOnlySpan<byte> body)
    {
        Span<byte> buffer = stackalloc byte[128];
        var id = Encoding.UTF8.GetMaxByteCount(webhookId.Length) <= buffer.Length
            ? buffer[..Encoding.UTF8.GetBytes(webhookId, buffer)]
            : Encoding.UTF8.GetBytes(webhookId);
        _standardWebhooks.AppendData(id);
        Span<byte> stamp = stackalloc byte[22]; // 2 dots, 20 digits
        stamp[0] = (byte)'.';
        timestamp.TryFormat(stamp[1..], out var digits, provider: CultureInfo.InvariantCulture);
        stamp[1 + digits] = (byte)'.';
        _standardWebhooks.AppendData(stamp[..(digits + 2)]);
        _standardWebhooks.AppendData(body);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        _standardWebhooks.GetHashAndReset(mac);
        return DeliverySignatures.FormatStandardWebhooksSignature(mac);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _webpa.Dispose();
        _standardWebhooks.Dispose();
    }
}
