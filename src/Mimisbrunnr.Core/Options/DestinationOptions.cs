using System.ComponentModel.DataAnnotations;

namespace Mimisbrunnr;

/// <summary>Which destination URLs norns may use, and how their host names are resolved.</summary>
public sealed class DestinationOptions : IValidatableObject
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
    [ConfigurationRange(16, 65_536, ErrorMessage = "Mimisbrunnr:Destinations:MaxUrlLength must be from {1} to {2}.")]
    public int MaxUrlLength { get; set; } = 2_048;

    /// <summary>
    /// The longest a host name lookup of the delivery side may take, including the wait for a free lookup slot
    /// (default 5 s); past it the lookup fails as a name resolution error.
    /// </summary>
    public TimeSpan DnsTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Host name lookups running at once (default 32); more wait for a slot, up to <see cref="DnsTimeout"/>.</summary>
    [ConfigurationRange(1, 4_096, ErrorMessage = "Mimisbrunnr:Destinations:MaxConcurrentDnsLookups must be from {1} to {2}.")]
    public int MaxConcurrentDnsLookups { get; set; } = 32;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DnsTimeout < TimeSpan.FromMilliseconds(10) || DnsTimeout > TimeSpan.FromMinutes(5))
        {
            yield return new ValidationResult(
                $"Mimisbrunnr:Destinations:DnsTimeout {DnsTimeout} must be between 00:00:00.01 and 00:05:00.", [nameof(DnsTimeout)]);
        }
    }
}
