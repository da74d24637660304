using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr;

/// <summary>Device-id extraction rules.</summary>
public sealed class RoutingOptions : IValidatableObject
{
    /// <summary>
    /// Rules tried in order; the first whose regex matches the event's <c>dest</c> decides. With no rule, or none
    /// matching, the device id comes from <c>source</c>.
    /// </summary>
    [ValidateEnumeratedItems]
    public IList<DeviceIdRule> Rules { get; } = [];

    /// <summary>
    /// The most time one event may spend in its norns' filter regexes (default 25 ms). Filters run in linear time, but a
    /// device with many norns and many patterns still costs; past the budget the remaining filtered norns do not get
    /// the event (a drop, reason <c>filter_budget</c>) and <c>/events</c> answers on time.
    /// </summary>
    public TimeSpan FilterBudget { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FilterBudget < TimeSpan.FromMilliseconds(1) || FilterBudget > TimeSpan.FromSeconds(10))
        {
            yield return new ValidationResult(
                $"Mimisbrunnr:Routing:FilterBudget {FilterBudget} must be from 00:00:00.001 to 00:00:10.", [nameof(FilterBudget)]);
        }
    }
}
