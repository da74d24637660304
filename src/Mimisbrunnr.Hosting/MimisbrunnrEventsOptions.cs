using System.ComponentModel.DataAnnotations;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// Options of the <c>POST /events</c> endpoint, bound from <c>Mimisbrunnr:Events</c>. A host must either set a
/// <see cref="Secret"/> or explicitly <see cref="AllowUnsigned"/>; otherwise it refuses to start.
/// </summary>
public sealed class MimisbrunnrEventsOptions
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

    /// <summary>The largest event body accepted, in bytes (default 256 KiB); larger bodies get 413.</summary>
    [Range(64, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 256 * 1024;
}

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
    [Range(256, 16 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>The <c>Retry-After</c> sent with 429 when a quota is reached, in seconds (default 60).</summary>
    [Range(1, 86_400)]
    public int QuotaRetryAfterSeconds { get; set; } = 60;
}
