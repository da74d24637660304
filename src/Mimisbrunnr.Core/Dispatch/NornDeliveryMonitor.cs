using Microsoft.Extensions.Options;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;

namespace Mimisbrunnr.Dispatch;

/// <summary>
/// Reads how deliveries are going on this host instance: per norn (<c>GET /norns/{id}</c>'s <c>delivery</c>, the last
/// attempts) and host-wide (for dashboards). Registered by <c>AddMimisbrunnr()</c>.
/// </summary>
/// <remarks>
/// Everything here comes from the active dispatchers, which exist only for norns that had events lately; an idle norn
/// has no figures (see <see cref="NornDeliveryStatus"/>). Per-norn reads are O(1); host-wide reads are one pass over the
/// active dispatchers. None of them checks ownership: callers show a norn's status only to its owner.
/// </remarks>
public sealed class NornDeliveryMonitor
{
    private readonly NornDispatcherPool _pool;
    private readonly INornRegistry _registry;
    private readonly MimisbrunnrMetrics _metrics;
    private readonly IOptionsMonitor<MimisbrunnrOptions> _options;
    private readonly TimeProvider _time;

    internal NornDeliveryMonitor(
        NornDispatcherPool pool,
        INornRegistry registry,
        MimisbrunnrMetrics metrics,
        IOptionsMonitor<MimisbrunnrOptions> options,
        TimeProvider time)
    {
        _pool = pool;
        _registry = registry;
        _metrics = metrics;
        _options = options;
        _time = time;
    }

    /// <summary>This instance's name: <c>Mimisbrunnr:InstanceName</c>, or the machine name.</summary>
    public string InstanceName => _options.CurrentValue.InstanceName is { Length: > 0 } name ? name : Environment.MachineName;

    /// <summary>The delivery status of a norn on this instance (idle when it has no dispatcher here).</summary>
    /// <param name="nornId">The norn id.</param>
    /// <returns>The status.</returns>
    public NornDeliveryStatus GetStatus(string nornId)
    {
        ArgumentNullException.ThrowIfNull(nornId);
        var instance = InstanceName;
        return _pool.Find(nornId) is { } dispatcher
            ? dispatcher.Snapshot(instance, _time.GetUtcNow().UtcTicks)
            : Idle(instance);
    }

    /// <summary>The last attempts to deliver to a norn on this instance, newest first (at most 20).</summary>
    /// <param name="nornId">The norn id.</param>
    /// <returns>The attempts; none when the norn is idle here.</returns>
    public NornDeliveryAttempts GetAttempts(string nornId)
    {
        ArgumentNullException.ThrowIfNull(nornId);
        return new NornDeliveryAttempts
        {
            Instance = InstanceName,
            Attempts = _pool.Find(nornId)?.Status.Attempts() ?? [],
        };
    }

    /// <summary>Host-wide figures of this instance now.</summary>
    /// <returns>The figures.</returns>
    public DeliveryHostStatus GetHostStatus()
    {
        var now = _time.GetUtcNow();
        int active = 0, cutOff = 0, failing = 0;
        foreach (var dispatcher in _pool.Dispatchers)
        {
            active++;
            if (dispatcher.IsCutOff(now.UtcTicks))
            {
                cutOff++;
            }
            else if (dispatcher.Status.IsFailing)
            {
                failing++;
            }
        }

        return new DeliveryHostStatus
        {
            Instance = InstanceName,
            At = now,
            RegisteredNorns = _registry.Count,
            ActiveNorns = active,
            BufferedEvents = Math.Max(0, _metrics.BufferedEvents),
            BufferedBytes = Math.Max(0, _metrics.BufferedBytes),
            CutOffNorns = cutOff,
            FailingNorns = failing,
        };
    }

    /// <summary>
    /// The active norns of one owner on this instance: cut off first, then failing, then the others, each group by id.
    /// </summary>
    /// <param name="owner">The owner, as <c>/norns</c> names it.</param>
    /// <param name="limit">The most norns to return.</param>
    /// <returns>The norns with their status.</returns>
    public IReadOnlyList<ActiveNornDelivery> GetActiveNorns(string owner, int limit)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var instance = InstanceName;
        var now = _time.GetUtcNow().UtcTicks;
        var found = new List<ActiveNornDelivery>();
        foreach (var dispatcher in _pool.Dispatchers)
        {
            if (_registry.Find(dispatcher.Id) is not { } norn || !string.Equals(norn.Norn.Owner, owner, StringComparison.Ordinal))
            {
                continue;
            }

            found.Add(new ActiveNornDelivery
            {
                Id = norn.Id,
                DeviceId = norn.Norn.DeviceId,
                DestinationType = dispatcher.DestinationType,
                Delivery = dispatcher.Snapshot(instance, now),
            });
        }

        found.Sort(static (a, b) => Rank(a).CompareTo(Rank(b)) is var byState and not 0 ? byState : string.CompareOrdinal(a.Id, b.Id));
        return found.Count > limit ? found.GetRange(0, limit) : found;
    }

    private static int Rank(ActiveNornDelivery norn) => norn.Delivery.State switch
    {
        NornDeliveryStates.CutOff => 0,
        NornDeliveryStates.Failing => 1,
        _ => 2,
    };

    private static NornDeliveryStatus Idle(string instance)
    {
        var dropped = new Dictionary<string, long>(NornDeliveryTracker.DropReasonOrder.Length, StringComparer.Ordinal);
        foreach (var reason in NornDeliveryTracker.DropReasonOrder)
        {
            dropped[reason] = 0;
        }

        return new NornDeliveryStatus { Instance = instance, State = NornDeliveryStates.Idle, Dropped = dropped };
    }
}

/// <summary>Host-wide delivery figures of one instance (<see cref="NornDeliveryMonitor.GetHostStatus"/>).</summary>
public sealed record DeliveryHostStatus
{
    /// <summary>The instance name.</summary>
    public required string Instance { get; init; }

    /// <summary>When the figures were read.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Norns in this instance's index.</summary>
    public required int RegisteredNorns { get; init; }

    /// <summary>Norns with a live dispatcher (had events within the idle timeout).</summary>
    public required int ActiveNorns { get; init; }

    /// <summary>Events buffered across all norns.</summary>
    public required long BufferedEvents { get; init; }

    /// <summary>Size of the buffered events: per buffered entry, payload bytes plus the characters of the WRP text fields.</summary>
    public required long BufferedBytes { get; init; }

    /// <summary>Norns cut off now.</summary>
    public required int CutOffNorns { get; init; }

    /// <summary>Norns (not cut off) whose last delivery failed.</summary>
    public required int FailingNorns { get; init; }
}

/// <summary>An active norn and its delivery status (<see cref="NornDeliveryMonitor.GetActiveNorns"/>).</summary>
public sealed record ActiveNornDelivery
{
    /// <summary>The norn id.</summary>
    public required string Id { get; init; }

    /// <summary>The canonical device id.</summary>
    public required string DeviceId { get; init; }

    /// <summary>The destination kind (<c>http</c> or <c>sqs</c>).</summary>
    public required string DestinationType { get; init; }

    /// <summary>The status on this instance.</summary>
    public required NornDeliveryStatus Delivery { get; init; }
}
