namespace Mimisbrunnr.Delivery;

/// <summary>
/// Decides whether Mimisbrunnr may send to a URL (SSRF protection): scheme, https-only, user info, and the network
/// of its host (loopback, private, link-local, unique-local, CGNAT and cloud metadata addresses are refused unless
/// allowed). Used at registration; the HTTP handler applies the same address rules at connect time.
/// </summary>
public interface IDestinationGuard
{
    /// <summary>Checks a destination URL, resolving its host name.</summary>
    /// <param name="url">An absolute URL.</param>
    /// <param name="cancellationToken">Cancels name resolution.</param>
    /// <returns><see langword="null"/> when allowed; otherwise the refusal (the rule and a sentence).</returns>
    ValueTask<DestinationRefusal?> CheckAsync(Uri url, CancellationToken cancellationToken = default);
}

/// <summary>Why a destination URL is refused.</summary>
/// <param name="Rule">A short rule id: <c>scheme</c>, <c>httpsOnly</c>, <c>userInfo</c>, <c>network</c>, <c>resolve</c>, <c>host</c>.</param>
/// <param name="Message">A sentence for a person, naming the address or host.</param>
public sealed record DestinationRefusal(string Rule, string Message);
