using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Delivery;

/// <summary>
/// The registration-time SSRF check of destination URLs (<see cref="DestinationOptions"/>): http or https only (https
/// only with <see cref="DestinationOptions.HttpsOnly"/>), no user info, and a host that is neither a cloud metadata
/// name nor an address — or a name resolving to any address — that <see cref="NetworkAddressClassifier"/> finds
/// non-public, unless <see cref="DestinationOptions.AllowPrivateNetworks"/> is set or
/// <see cref="DestinationOptions.AllowedHosts"/> lists the host, the address or a network containing it.
/// </summary>
/// <remarks>
/// A name that resolves to a public address today may resolve to a private one at delivery time (DNS rebinding), so
/// the delivery handler checks every resolved address again when it connects.
/// </remarks>
internal sealed class DestinationGuard : IDestinationGuard
{
    private readonly IOptionsMonitor<MimisbrunnrOptions> _options;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;

    /// <summary>Creates the guard; names are resolved by a bounded, timed <see cref="HostResolver"/> of its own.</summary>
    /// <param name="options">The engine options (<see cref="MimisbrunnrOptions.Destinations"/>).</param>
    public DestinationGuard(IOptionsMonitor<MimisbrunnrOptions> options)
        : this(options, new HostResolver(options).ResolveAsync)
    {
    }

    internal DestinationGuard(IOptionsMonitor<MimisbrunnrOptions> options, Func<string, CancellationToken, Task<IPAddress[]>> resolve)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resolve);
        _options = options;
        _resolve = resolve;
    }

    /// <inheritdoc />
    public async ValueTask<DestinationRefusal?> CheckAsync(Uri url, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            return new DestinationRefusal("scheme", "the URL must be absolute (http:// or https://).");
        }

        var isHttps = string.Equals(url.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase);
        if (!isHttps && !string.Equals(url.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase))
        {
            return new DestinationRefusal("scheme", $"the scheme '{url.Scheme}' is not allowed; use http or https.");
        }

        var policy = DestinationPolicy.For(_options.CurrentValue.Destinations);
        if (policy.HttpsOnly && !isHttps)
        {
            return new DestinationRefusal("httpsOnly", "only https URLs are allowed (Mimisbrunnr:Destinations:HttpsOnly).");
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            return new DestinationRefusal("userInfo", "the URL must not carry user info (credentials before '@').");
        }

        var host = url.HostNameType == UriHostNameType.IPv6 ? url.DnsSafeHost : url.IdnHost;
        if (string.IsNullOrEmpty(host))
        {
            return new DestinationRefusal("host", "the URL has no host.");
        }

        if (policy.AllowPrivateNetworks || policy.IsHostAllowed(host))
        {
            return null;
        }

        if (DestinationPolicy.IsMetadataHost(host))
        {
            return DestinationPolicy.MetadataHostRefusal(host);
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await _resolve(host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                return new DestinationRefusal("resolve", $"the host '{host}' could not be resolved ({ex.SocketErrorCode}).");
            }

            if (addresses.Length == 0)
            {
                return new DestinationRefusal("resolve", $"the host '{host}' resolves to no address.");
            }
        }

        foreach (var address in addresses)
        {
            if (policy.CheckAddress(host, address) is { } refusal)
            {
                return refusal;
            }
        }

        return null;
    }
}
