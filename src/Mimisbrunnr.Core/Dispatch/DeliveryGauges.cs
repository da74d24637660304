using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Registry;

namespace Mimisbrunnr.Dispatch;

/// <summary>
/// The observable gauges of the delivery side, read when a collector asks (a Prometheus scrape, an OTLP export), never
/// on the event path: registered norns (the registry's count), and the norns cut off or failing now (one pass over the
/// active dispatchers, whose number is bounded by the active norns, not the registered ones).
/// </summary>
internal static class DeliveryGauges
{
    public static void Create(MimisbrunnrMetrics metrics, INornRegistry registry, NornDispatcherPool pool, TimeProvider time)
    {
        var meter = metrics.Meter;
        meter.CreateObservableGauge(
            "mimisbrunnr.norns.registered",
            () => registry.Count,
            "{norn}",
            "Norns in this host's index (registered and not yet swept after expiry).");
        meter.CreateObservableGauge(
            "mimisbrunnr.norns.cut_off",
            () => Count(pool, time, failing: false),
            "{norn}",
            "Norns cut off now on this host (their buffer overflowed; events are dropped until the cut-off period ends).");
        meter.CreateObservableGauge(
            "mimisbrunnr.norns.failing",
            () => Count(pool, time, failing: true),
            "{norn}",
            "Active norns on this host whose last delivery failed after its retries, with no success since.");
    }

    internal static int Count(NornDispatcherPool pool, TimeProvider time, bool failing)
    {
        var now = time.GetUtcNow().UtcTicks;
        var count = 0;
        foreach (var dispatcher in pool.Dispatchers)
        {
            var cutOff = dispatcher.IsCutOff(now);
            if (failing ? !cutOff && dispatcher.Status.IsFailing : cutOff)
            {
                count++;
            }
        }

        return count;
    }
}
