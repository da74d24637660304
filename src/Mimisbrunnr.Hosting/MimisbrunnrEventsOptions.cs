using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// Options of the <c>POST /events</c> endpoint, bound from <c>Mimisbrunnr:Events</c>. A host must either set a
/// <see cref="Secret"/> or explicitly <see cref="AllowUnsigned"/>; otherwise it refuses to start.
/// </summary>
public sealed class MimisbrunnrEventsOptions : IValidatableObject
{
    /// <summary>The configuration section: <c>Mimisbrunnr:Events</c>.</summary>
    public const string SectionName = "Mimisbrunnr:Events";

    /// <summary>
    /// The secret shared with Caduceus: every event must carry <c>X-Webpa-Signature: sha1=&lt;hex HMAC-SHA1&gt;</c> of
    /// its body under this secret.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>Accept events without a signature (development only; default false).</summary>
    public bool AllowUnsigned { get; set; }

    /// <summary>
    /// The partner ids an event without <c>partner_ids</c> is treated as carrying (XMiDT's <c>customPIDs</c>). Empty
    /// (the default): such an event reaches only norns of every partner (<c>*</c>) and norns without partner ids.
    /// </summary>
    public IList<string> DefaultPartnerIds { get; } = [];

    /// <summary>The largest event body accepted, in bytes (default 256 KiB); larger bodies get 413.</summary>
    [ConfigurationRange(64, 64 * 1024 * 1024, ErrorMessage = "Mimisbrunnr:Events:MaxBodyBytes must be from {1} to {2}.")]
    public int MaxBodyBytes { get; set; } = 256 * 1024;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrEmpty(Secret) && !AllowUnsigned)
        {
            yield return new ValidationResult(
                "Mimisbrunnr:Events:Secret is not set. Set the secret shared with Caduceus, or set "
                + "Mimisbrunnr:Events:AllowUnsigned=true to accept unsigned events (development only).",
                [nameof(Secret)]);
        }
    }
}

/// <summary>The rules of <see cref="MimisbrunnrEventsOptions"/>, generated at build time; run by <c>MapMimisbrunnr</c>.</summary>
[OptionsValidator]
internal sealed partial class EventsOptionsValidator : IValidateOptions<MimisbrunnrEventsOptions>;
