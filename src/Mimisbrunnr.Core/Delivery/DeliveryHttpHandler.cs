using System.Net;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Delivery;

/// <summary>Builds the primary handler of the <see cref="DeliveryHttpClient.Name"/> client.</summary>
internal static class DeliveryHttpHandler
{
    /// <summary>Connections per destination server: enough for many norns of one consumer, bounded against one slow host.</summary>
    internal const int MaxConnectionsPerServer = 64;

    public static SocketsHttpHandler Create(IOptionsMonitor<MimisbrunnrOptions> options, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        var delivery = options.CurrentValue.Delivery;
        var connector = new GuardedConnector(options, resolve);
        return new SocketsHttpHandler
        {
            // Re-resolve names now and then, so DNS changes (and the connect-time check) apply to pooled connections.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = delivery.Timeout < TimeSpan.FromSeconds(10) ? delivery.Timeout : TimeSpan.FromSeconds(10),
            MaxConnectionsPerServer = MaxConnectionsPerServer,

            // A redirect would lead the request past the SSRF check of the URL; cookies and decompression are not wanted.
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,

            // A proxy would make the connect-time check see the proxy's address instead of the destination's.
            UseProxy = false,
            ConnectCallback = connector.ConnectAsync,
        };
    }
}
