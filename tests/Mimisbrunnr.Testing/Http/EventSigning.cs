using System.Security.Cryptography;
using System.Text;

namespace Mimisbrunnr.Testing.Http;

/// <summary>
/// Signs test events the way Caduceus does before POSTing them to <c>/events</c>:
/// <c>X-Webpa-Signature: sha1=&lt;lowercase hex HMAC-SHA1 of the body&gt;</c>, keyed with the UTF-8 bytes of the secret.
/// </summary>
/// <remarks>
/// For producing signed input only. Tests that check the signatures the product puts on its deliveries compute the
/// expected value themselves with the BCL, independently of this helper.
/// </remarks>
public static class EventSigning
{
    /// <summary>The header that carries the signature.</summary>
    public const string Header = "X-Webpa-Signature";

    /// <summary>The signature of <paramref name="body"/> under <paramref name="secret"/>: <c>sha1=&lt;hex&gt;</c>.</summary>
    /// <param name="secret">The shared secret.</param>
    /// <param name="body">The exact body bytes.</param>
    /// <returns>The header value.</returns>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Adds the <see cref="Header"/> for <paramref name="body"/> to a request.</summary>
    /// <param name="request">The request that carries <paramref name="body"/>.</param>
    /// <param name="secret">The shared secret.</param>
    /// <param name="body">The exact body bytes.</param>
    public static void SignEvent(HttpRequestMessage request, string secret, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Add(Header, Sign(secret, body));
    }
}
