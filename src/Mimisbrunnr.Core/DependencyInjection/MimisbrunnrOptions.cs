using System.ComponentModel.DataAnnotations;
using Mimisbrunnr.Routing;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>
/// Options of the Mimisbrunnr engine, bound from the configuration section <c>Mimisbrunnr</c> by hosts. Validated at
/// start.
/// </summary>
public sealed class MimisbrunnrOptions
{
    /// <summary>The configuration section hosts bind: <c>Mimisbrunnr</c>.</summary>
    public const string SectionName = "Mimisbrunnr";

    /// <summary>The longest ttl a norn may ask for, in seconds (default 86,400 = 24 h).</summary>
    [Range(1, int.MaxValue)]
    public int MaxTtl { get; set; } = 86_400;

    /// <summary>Quotas.</summary>
    public QuotaOptions Quotas { get; set; } = new();

    /// <summary>Delivery: buffers, workers, retries, cut-off.</summary>
    public DeliveryOptions Delivery { get; set; } = new();

    /// <summary>How device ids are taken from events.</summary>
    public RoutingOptions Routing { get; set; } = new();

    /// <summary>Which destination URLs are allowed.</summary>
    public DestinationOptions Destinations { get; set; } = new();

    /// <summary>How often expired norns are swept from the index and the store (default 30 s).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Keys that encrypt norn secrets (HMAC secrets, AWS secret keys, session tokens) in the store: each the base64 of
    /// 32 random bytes (<c>openssl rand -base64 32</c>). The first encrypts new writes; all decrypt, so rotate by
    /// putting a new key first and keeping the old one for <see cref="MaxTtl"/>. Hosts that share a store need the
    /// same keys. Empty (the default): secrets are stored as given, and a warning says so. See
    /// <see cref="Norns.NornSecretProtector"/>.
    /// </summary>
    public IList<string> SecretKeys { get; } = [];
}

/// <summary>Norn quotas.</summary>
public sealed class QuotaOptions
{
    /// <summary>Maximum live norns per owner (default 10,000).</summary>
    [Range(1, int.MaxValue)]
    public int MaxNornsPerOwner { get; set; } = 10_000;

    /// <summary>Maximum live norns per device (default 100).</summary>
    [Range(1, int.MaxValue)]
    public int MaxNornsPerDevice { get; set; } = 100;
}

/// <summary>Per-norn buffering and delivery.</summary>
public sealed class DeliveryOptions
{
    /// <summary>Capacity of each norn's buffer (default 1,000).</summary>
    [Range(1, 1_000_000)]
    public int QueueSize { get; set; } = 1_000;

    /// <summary>Concurrent sends per norn (default 1, which keeps a device's events in order).</summary>
    [Range(1, 1_000)]
    public int Workers { get; set; } = 1;

    /// <summary>Retries after the first attempt for retryable failures (default 3).</summary>
    [Range(0, 20)]
    public int Retries { get; set; } = 3;

    /// <summary>Base delay of the exponential backoff with jitter (default 1 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest Retry-After honoured (default 30 s).</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a norn is cut off after its buffer overflowed (default 10 s, as Caduceus).</summary>
    public TimeSpan CutOffPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Timeout of one delivery attempt (default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A norn's dispatcher is retired after this long without events (default 5 min).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>On shutdown, how long buffered events may still be delivered (default 5 s).</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Device-id extraction rules.</summary>
public sealed class RoutingOptions
{
    /// <summary>
    /// Rules tried in order; the first whose regex matches the event's <c>dest</c> decides. With no rule, or none
    /// matching, the device id comes from <c>source</c>.
    /// </summary>
    public IList<DeviceIdRule> Rules { get; } = [];
}

/// <summary>Which destination URLs norns may use.</summary>
public sealed class DestinationOptions
{
    /// <summary>Only https URLs (default false).</summary>
    public bool HttpsOnly { get; set; }

    /// <summary>
    /// Allow loopback, private, link-local, unique-local, CGNAT and metadata addresses (default false; tests and
    /// local development turn it on).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Hosts (names, or IP addresses and CIDR ranges such as <c>10.1.0.0/16</c>) allowed even when private.</summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>The longest URL accepted (default 2,048 characters).</summary>
    [Range(16, 65_536)]
    public int MaxUrlLength { get; set; } = 2_048;
}
