namespace Mimisbrunnr;

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
    [ConfigurationRange(16, 65_536, ErrorMessage = "Mimisbrunnr:Destinations:MaxUrlLength must be from {1} to {2}.")]
    public int MaxUrlLength { get; set; } = 2_048;
}
