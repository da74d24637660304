using System.Diagnostics;

namespace Mimisbrunnr.Diagnostics;

/// <summary>
/// The <c>Mimisbrunnr</c> activity source for traces. One trace follows an event: <c>mimisbrunnr.route</c> (routing,
/// a child of the request that brought the event), then per norn <c>mimisbrunnr.deliver</c> (one send, started by the
/// norn's worker with the routing span as parent) and under it one <c>mimisbrunnr.deliver.attempt</c> per try, whose
/// context travels to the destination as W3C <c>traceparent</c>.
/// </summary>
internal static class MimisbrunnrActivitySource
{
    /// <summary>The source.</summary>
    public static ActivitySource Instance { get; } = new(MimisbrunnrTelemetry.ActivitySourceName);

    /// <summary>Starts the routing span of one event, or returns <see langword="null"/> when nobody listens.</summary>
    public static Activity? StartRouting() =>
        Instance.HasListeners() ? Instance.StartActivity("mimisbrunnr.route", ActivityKind.Internal) : null;

    /// <summary>Tags the routing span with what routing did.</summary>
    public static void Routed(Activity? activity, int matched, int enqueued, int dropped)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("mimisbrunnr.route.matched", matched);
            activity.SetTag("mimisbrunnr.route.enqueued", enqueued);
            activity.SetTag("mimisbrunnr.route.dropped", dropped);
        }
    }
}
