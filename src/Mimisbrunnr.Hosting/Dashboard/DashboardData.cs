using Mimisbrunnr.Dispatch;

namespace Mimisbrunnr.Hosting;

/// <summary>The body of <c>GET /dashboard/data</c>: this instance now, its recent rates and the caller's active norns.</summary>
internal sealed record DashboardData
{
    public required string Instance { get; init; }

    public required DateTimeOffset At { get; init; }

    public required DeliveryHostStatus Host { get; init; }

    public required DashboardTotals Totals { get; init; }

    public required DashboardSeries Series { get; init; }

    /// <summary>The caller's active norns (at most <see cref="DashboardEndpoints.MaxNorns"/>): cut off, failing, then the rest.</summary>
    public required IReadOnlyList<ActiveNornDelivery> Norns { get; init; }
}

/// <summary>Counts since the host started.</summary>
internal sealed record DashboardTotals
{
    public required long EventsReceived { get; init; }

    public required long Delivered { get; init; }

    public required long Failed { get; init; }

    public required long CutOffs { get; init; }

    public required IReadOnlyDictionary<string, long> Dropped { get; init; }
}

/// <summary>Per-second counts, oldest first; the last bucket ends at <see cref="End"/>.</summary>
internal sealed record DashboardSeries
{
    public required int IntervalSeconds { get; init; }

    public required DateTimeOffset End { get; init; }

    public required IReadOnlyList<long> Events { get; init; }

    public required IReadOnlyList<long> Deliveries { get; init; }

    public required IReadOnlyList<long> Failures { get; init; }

    public required IReadOnlyList<long> Drops { get; init; }
}
