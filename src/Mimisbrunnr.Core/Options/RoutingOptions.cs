using Microsoft.Extensions.Options;

namespace Mimisbrunnr;

/// <summary>Device-id extraction rules.</summary>
public sealed class RoutingOptions
{
    /// <summary>
    /// Rules tried in order; the first whose regex matches the event's <c>dest</c> decides. With no rule, or none
    /// matching, the device id comes from <c>source</c>.
    /// </summary>
    [ValidateEnumeratedItems]
    public IList<DeviceIdRule> Rules { get; } = [];
}
