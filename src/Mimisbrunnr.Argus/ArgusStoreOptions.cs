namespace Mimisbrunnr.Argus;

/// <summary>
/// Where and how norns are kept in Argus (<c>UseArgusStore</c>), bound from <c>Mimisbrunnr:Argus</c> by hosts.
/// Validated when the host starts; read once, when the store is created.
/// </summary>
public sealed class ArgusStoreOptions
{
    /// <summary>The configuration section the sample server binds: <c>Mimisbrunnr:Argus</c>.</summary>
    public const string SectionName = "Mimisbrunnr:Argus";

    /// <summary>The owner header of current Argus servers.</summary>
    public const string XmidtOwnerHeader = "X-Xmidt-Owner";

    /// <summary>The owner header of older Argus servers.</summary>
    public const string MidtOwnerHeader = "X-Midt-Owner";

    /// <summary>
    /// The Argus server, for example <c>https://argus.example:6600/</c>; requests go to
    /// <c>{Address}/api/v1/store/{Bucket}</c>. Required.
    /// </summary>
    public Uri? Address { get; set; }

    /// <summary>
    /// The bucket holding the norns (default <c>norns</c>); Argus's rule: 3 to 63 lowercase letters, digits and
    /// hyphens, beginning and ending with a letter or digit. Every host instance of one deployment uses the same one.
    /// </summary>
    public string Bucket { get; set; } = "norns";

    /// <summary>
    /// How often the whole bucket is read to learn other instances' writes (default 5 s, as the Go client). The longest
    /// a norn registered through one instance waits before another instance delivers to it.
    /// </summary>
    public TimeSpan PullInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The Argus owner every item is written and read under (10 to 60 characters), or none. Argus binds an item to the
    /// owner that created it and lists only the caller's items, so all instances must use the same owner. Mimisbrunnr's
    /// own owners (the principals that register norns) live inside the items and are enforced by this library.
    /// </summary>
    public string? Owner { get; set; }

    /// <summary>Basic credentials as <c>user:password</c>; used when <see cref="Jwt"/> has no auth URL.</summary>
    public string? Basic { get; set; }

    /// <summary>A bearer token source; when its auth URL is set, Argus requests carry its token.</summary>
    public ArgusJwtOptions Jwt { get; set; } = new();

    /// <summary>
    /// The header that carries <see cref="Owner"/>: <c>X-Xmidt-Owner</c> (default, current servers) or
    /// <c>X-Midt-Owner</c> (older servers).
    /// </summary>
    public string OwnerHeader { get; set; } = XmidtOwnerHeader;

    /// <summary>
    /// The Argus server's <c>itemMaxTTL</c> (default 24 h). Argus silently shortens a longer ttl to it, so the host
    /// refuses to start when <c>Mimisbrunnr:MaxTtl</c> is longer.
    /// </summary>
    public TimeSpan ItemMaxTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Timeout of one request to Argus or to the auth URL (default 10 s); a timed-out request is retried.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Where the bearer token for Argus comes from (the XMiDT token source, as for Caduceus registration).</summary>
public sealed class ArgusJwtOptions
{
    /// <summary>
    /// The auth URL answering a GET with <c>{"serviceAccessToken": "...", "expires_in": seconds}</c>; when set, bearer
    /// auth is used and the token is cached until shortly before it expires.
    /// </summary>
    public Uri? AuthUrl { get; set; }

    /// <summary>Basic credentials (<c>user:password</c>) for the auth URL, if it needs them.</summary>
    public string? Basic { get; set; }
}
