using System.ComponentModel.DataAnnotations;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// Registration of Mimisbrunnr's <c>/events</c> endpoint as a webhook with Caduceus (or Tr1d1um), bound from
/// <c>Mimisbrunnr:Webhook</c>. Enabled when <see cref="RegistrationUrl"/> is set.
/// </summary>
public sealed class WebhookRegistrationOptions
{
    /// <summary>The configuration section: <c>Mimisbrunnr:Webhook</c>.</summary>
    public const string SectionName = "Mimisbrunnr:Webhook";

    /// <summary>Where to register: Caduceus <c>POST /hook</c> (≤ v0.5.2) or Tr1d1um <c>/api/v3/hook</c>.</summary>
    [Required(ErrorMessage = "Mimisbrunnr:Webhook:RegistrationUrl is required.")]
    public Uri? RegistrationUrl { get; set; }

    /// <summary>The public URL of this host's <c>/events</c> endpoint (what Caduceus will POST to).</summary>
    [Required(ErrorMessage = "Mimisbrunnr:Webhook:PublicUrl is required: the URL Caduceus posts events to.")]
    public Uri? PublicUrl { get; set; }

    /// <summary>How often to re-register (default 30 s); must be shorter than <see cref="Duration"/>.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long each registration lasts (default 5 min); sent as <c>"Ns"</c>.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Event-type regexes to subscribe to (default <c>.*</c>).</summary>
    public IList<string> Events { get; } = [];

    /// <summary>Device-id regexes (<c>matcher.device_id</c>, default <c>.*</c>).</summary>
    public IList<string> DeviceMatchers { get; } = [];

    /// <summary>Where Caduceus sends its own cut-off notices; optional.</summary>
    public Uri? FailureUrl { get; set; }

    /// <summary>Alternative URLs for this host's events endpoint; optional.</summary>
    public IList<string> AltUrls { get; } = [];

    /// <summary>Partner ids sent in <c>X-Xmidt-Partner-Ids</c>.</summary>
    public IList<string> PartnerIds { get; } = [];

    /// <summary>Basic credentials as <c>user:password</c>; used when no bearer token source is configured.</summary>
    public string? Basic { get; set; }

    /// <summary>Bearer token source.</summary>
    public WebhookJwtOptions Jwt { get; set; } = new();

    /// <summary>
    /// Allow an <c>http</c> <see cref="RegistrationUrl"/> and <see cref="WebhookJwtOptions.AuthUrl"/> (default false):
    /// the registration carries the events secret and credentials, which must not travel in clear outside a test bed.
    /// </summary>
    public bool AllowInsecure { get; set; }

    /// <summary>Timeout of one registration request (default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First delay before retrying a failed registration; doubles up to <see cref="Interval"/> (default 1 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Where the registration's bearer token comes from.</summary>
public sealed class WebhookJwtOptions
{
    /// <summary>
    /// The auth URL answering <c>{"serviceAccessToken": "...", "expires_in": seconds}</c> to a GET; when set, bearer
    /// auth is used.
    /// </summary>
    public Uri? AuthUrl { get; set; }

    /// <summary>Basic credentials (<c>user:password</c>) for the auth URL, if it needs them.</summary>
    public string? Basic { get; set; }

    /// <summary>Refresh the token this long before it expires (default 30 s).</summary>
    public TimeSpan RefreshBeforeExpiry { get; set; } = TimeSpan.FromSeconds(30);
}
