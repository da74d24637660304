using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Hosting;

/// <summary>Options of the <c>/norns</c> API, bound from <c>Mimisbrunnr:Api</c>.</summary>
public sealed class MimisbrunnrApiOptions
{
    /// <summary>The configuration section: <c>Mimisbrunnr:Api</c>.</summary>
    public const string SectionName = "Mimisbrunnr:Api";

    /// <summary>
    /// The claim that names a norn's owner. When unset, the name identifier claim is used, then the identity's name.
    /// </summary>
    public string? OwnerClaimType { get; set; }

    /// <summary>The largest norn request body accepted, in bytes (default 64 KiB); larger bodies get 413.</summary>
    [ConfigurationRange(256, 16 * 1024 * 1024, ErrorMessage = "Mimisbrunnr:Api:MaxBodyBytes must be from {1} to {2}.")]
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Where the caller's partner ids (tenants) are found: a claim type, or a path into a JSON claim, as XMiDT tokens
    /// carry them (default <c>allowedResources.allowedPartners</c>: the <c>allowedPartners</c> array of the JSON claim
    /// <c>allowedResources</c>). A claim of exactly this type, single or repeated, with one id or a JSON array of ids,
    /// works too. Replace <see cref="INornPartnerSource"/> to take them from elsewhere.
    /// </summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Mimisbrunnr:Api:PartnerIdsClaim must name a claim.")]
    public string PartnerIdsClaim { get; set; } = "allowedResources.allowedPartners";

    /// <summary>
    /// Turns partner ids off (default false): norns then carry none, every caller may register without any, and each
    /// norn receives every event of its device whatever the event's partner ids — the behaviour before partner ids.
    /// </summary>
    public bool DisablePartnerIds { get; set; }

    /// <summary>The <c>Retry-After</c> sent with 429 when a quota is reached, in seconds (default 60).</summary>
    [ConfigurationRange(1, 86_400, ErrorMessage = "Mimisbrunnr:Api:QuotaRetryAfterSeconds must be from {1} to {2}.")]
    public int QuotaRetryAfterSeconds { get; set; } = 60;
}

/// <summary>The rules of <see cref="MimisbrunnrApiOptions"/>, generated at build time.</summary>
[OptionsValidator]
internal sealed partial class ApiOptionsValidator : IValidateOptions<MimisbrunnrApiOptions>;
