using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace Mimisbrunnr;

/// <summary>
/// A rule for taking the device id from an event (Caduceus/Mimisbrunnr convention): when <see cref="Regex"/> matches
/// the event's <c>dest</c> (unanchored), <see cref="EventType"/> says where the id is.
/// </summary>
public sealed class DeviceIdRule : IValidatableObject
{
    /// <summary>The regular expression matched against <c>dest</c>.</summary>
    public string Regex { get; set; } = string.Empty;

    /// <summary>Where the id is: in <c>dest</c> (<see cref="DeviceIdRuleType.State"/>) or in <c>source</c>.</summary>
    public DeviceIdRuleType EventType { get; set; } = DeviceIdRuleType.Default;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        string? error = null;
        if (string.IsNullOrEmpty(Regex))
        {
            error = "is required";
        }
        else
        {
            try
            {
                _ = new Regex(Regex, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException ex)
            {
                error = "is not a valid regular expression: " + ex.Message;
            }
        }

        if (error is not null)
        {
            yield return new ValidationResult($"Mimisbrunnr:Routing:Rules:N:Regex '{Regex}' {error}", [nameof(Regex)]);
        }

        if (!Enum.IsDefined(EventType))
        {
            yield return new ValidationResult(
                $"Mimisbrunnr:Routing:Rules:N:EventType '{EventType}' is not State or Default.", [nameof(EventType)]);
        }
    }
}

/// <summary>Where a <see cref="DeviceIdRule"/> finds the device id.</summary>
public enum DeviceIdRuleType
{
    /// <summary>The device id is the message's <c>source</c>.</summary>
    Default = 0,

    /// <summary>The device id is the second-to-last path segment of <c>dest</c> (<c>event:device-status/mac:…/online</c>).</summary>
    State = 1,
}
