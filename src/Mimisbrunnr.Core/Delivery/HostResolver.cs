using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Diagnostics;

namespace Mimisbrunnr.Delivery;

/// <summary>
/// Resolves destination host names for the destination guard and the delivery connector, bounded and timed: at most
/// <see cref="DestinationOptions.MaxConcurrentDnsLookups"/> lookups run at once, and a lookup (or the wait for a free
/// slot) that takes longer than <see cref="DestinationOptions.DnsTimeout"/> fails as a name resolution error. Every
/// lookup is counted (<c>mimisbrunnr.dns.lookups</c>).
/// </summary>
/// <remarks>
/// A lookup the system does not cancel keeps its slot until it really ends, so a resolver that hangs cannot pile up
/// threads: callers past the bound wait, then fail with <c>busy</c>.
/// </remarks>
internal sealed class HostResolver
{
    private readonly IOptionsMonitor<MimisbrunnrOptions> _options;
    private readonly MimisbrunnrMetrics? _metrics;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _lookup;
    private readonly SemaphoreSlim _slots;

    public HostResolver(
        IOptionsMonitor<MimisbrunnrOptions> options,
        MimisbrunnrMetrics? metrics = null,
        Func<string, CancellationToken, Task<IPAddress[]>>? lookup = null)
    {
        _options = options;
        _metrics = metrics;
        _lookup = lookup ?? (static (host, ct) => Dns.GetHostAddressesAsync(host, ct));
        var slots = options.CurrentValue.Destinations.MaxConcurrentDnsLookups;
        _slots = new SemaphoreSlim(slots, slots);
    }

    /// <summary>Lookup slots free now.</summary>
    public int FreeSlots => _slots.CurrentCount;

    /// <summary>Resolves <paramref name="host"/>; throws <see cref="SocketException"/> when it fails, times out or finds no slot.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var timeout = _options.CurrentValue.Destinations.DnsTimeout;
        if (!await _slots.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            _metrics?.DnsLookup("busy");
            throw new SocketException((int)SocketError.TryAgain);
        }

        var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        Task<IPAddress[]> lookup;
        try
        {
            lookup = _lookup(host, limit.Token);
        }
        catch
        {
            _slots.Release();
            limit.Dispose();
            _metrics?.DnsLookup("failed");
            throw;
        }

        // The slot is given back when the lookup really ends, whether or not anyone still waits for it.
        _ = lookup.ContinueWith(
            static (_, state) =>
            {
                var (slots, source) = ((SemaphoreSlim, CancellationTokenSource))state!;
                slots.Release();
                source.Dispose();
            },
            (_slots, limit),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        try
        {
            var addresses = await lookup.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            _metrics?.DnsLookup("ok");
            return addresses;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is TimeoutException or OperationCanceledException)
        {
            _metrics?.DnsLookup("timeout");
            throw new SocketException((int)SocketError.TryAgain);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _metrics?.DnsLookup("failed");
            throw;
        }
    }
}
