using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Routing;

/// <summary>What <see cref="EventRouter.Route"/> did with one event.</summary>
/// <param name="Outcome">Whether the event had a device id and norns.</param>
/// <param name="DeviceId">The canonical device id (<see langword="default"/> when none was found).</param>
/// <param name="Matched">Norns of the device that were live and whose filter let the event through.</param>
/// <param name="Enqueued">Norns whose buffer took the event.</param>
/// <param name="Dropped">
/// Norns that did not get the event although it was for them: expired at routing, or refused by the sink (full
/// buffer, cut off, expired, stopping). Filtered-out norns are not drops.
/// </param>
public readonly record struct RouteResult(RouteOutcome Outcome, DeviceId DeviceId, int Matched, int Enqueued, int Dropped);

/// <summary>The outcome of routing one event, as counted in <c>mimisbrunnr.events.received</c>.</summary>
public enum RouteOutcome
{
    /// <summary>The device has norns; the event was offered to those it matched.</summary>
    Routed,

    /// <summary>The device has no norns on this host.</summary>
    NoNorns,

    /// <summary>No device id could be taken from the event.</summary>
    NoDeviceId,
}
