using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Delivery;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of the delivery client: resolves the host itself and refuses
/// to connect when the host is a metadata name or <em>any</em> resolved address is refused by the SSRF rules, so that a
/// name that passed registration and later resolves to a private address (DNS rebinding) still fails.
/// </summary>
internal sealed class GuardedConnector
{
    private readonly IOptionsMonitor<MimisbrunnrOptions> _options;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;

    public GuardedConnector(IOptionsMonitor<MimisbrunnrOptions> options, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        _options = options;
        _resolve = resolve ?? (static (host, ct) => Dns.GetHostAddressesAsync(host, ct));
    }

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var host = endpoint.Host;
        var policy = DestinationPolicy.For(_options.CurrentValue.Destinations);
        var check = !policy.AllowPrivateNetworks && !policy.IsHostAllowed(host);
        if (check && DestinationPolicy.IsMetadataHost(host))
        {
            throw new DestinationRefusedException(DestinationPolicy.MetadataHostRefusal(host));
        }

        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await _resolve(host, cancellationToken).ConfigureAwait(false);
        if (check)
        {
            foreach (var address in addresses)
            {
                if (policy.CheckAddress(host, address) is { } refusal)
                {
                    throw new DestinationRefusedException(refusal);
                }
            }
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}
