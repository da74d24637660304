using System.Net;
using System.Runtime.CompilerServices;

namespace Mimisbrunnr.Delivery;

/// <summary>
/// <see cref="DestinationOptions"/> parsed once: the allow-list split into host names, wildcard suffixes and networks,
/// and the address rules shared by the registration check and the connect-time check.
/// </summary>
internal sealed class DestinationPolicy
{
    private static readonly ConditionalWeakTable<DestinationOptions, DestinationPolicy> Cache = [];

    // Names that reach instance metadata without looking like an address.
    private static readonly HashSet<string> MetadataHosts = new(StringComparer.OrdinalIgnoreCase)
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
    };

    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _suffixes = [];
    private readonly List<IPNetwork> _networks = [];

    private DestinationPolicy(DestinationOptions options)
    {
        AllowPrivateNetworks = options.AllowPrivateNetworks;
        HttpsOnly = options.HttpsOnly;
        foreach (var entry in options.AllowedHosts)
        {
            switch (ParseEntry(entry, out var network, out var name))
            {
                case EntryKind.Network:
                    _networks.Add(network);
                    break;
                case EntryKind.Suffix:
                    _suffixes.Add(name!);
                    break;
                case EntryKind.Host:
                    _hosts.Add(name!);
                    break;
                default:
                    break; // rejected by the options validator at start
            }
        }
    }

    internal enum EntryKind
    {
        Invalid,
        Host,
        Suffix,
        Network,
    }

    public bool AllowPrivateNetworks { get; }

    public bool HttpsOnly { get; }

    /// <summary>The policy of an options instance (options are not mutated after the host starts).</summary>
    public static DestinationPolicy For(DestinationOptions options) => Cache.GetValue(options, static o => new DestinationPolicy(o));

    /// <summary>Parses one <see cref="DestinationOptions.AllowedHosts"/> entry: an IP, a CIDR, a host name or <c>*.suffix</c>.</summary>
    public static EntryKind ParseEntry(string? entry, out IPNetwork network, out string? name)
    {
        network = default;
        name = null;
        var text = entry?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return EntryKind.Invalid;
        }

        if (text.Contains('/', StringComparison.Ordinal))
        {
            return IPNetwork.TryParse(text, out network) ? EntryKind.Network : EntryKind.Invalid;
        }

        if (IPAddress.TryParse(text.Trim('[', ']'), out var address))
        {
            address = Normalize(address);
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return EntryKind.Network;
        }

        if (text.StartsWith("*.", StringComparison.Ordinal) && Uri.CheckHostName(text[2..]) == UriHostNameType.Dns)
        {
            name = NormalizeHost(text[1..]);
            return EntryKind.Suffix;
        }

        if (Uri.CheckHostName(text) == UriHostNameType.Dns)
        {
            name = NormalizeHost(text);
            return EntryKind.Host;
        }

        return EntryKind.Invalid;
    }

    /// <summary>Whether the host name is on the allow-list (then any address it resolves to is allowed).</summary>
    public bool IsHostAllowed(string host)
    {
        var normalized = NormalizeHost(host);
        if (_hosts.Contains(normalized))
        {
            return true;
        }

        foreach (var suffix in _suffixes)
        {
            if (normalized.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the name is a cloud metadata host.</summary>
    public static bool IsMetadataHost(string host) => MetadataHosts.Contains(NormalizeHost(host));

    /// <summary>Checks one address; <see langword="null"/> when allowed.</summary>
    /// <param name="host">The host of the URL (a name, or the address itself).</param>
    /// <param name="address">The address the host is or resolves to.</param>
    public DestinationRefusal? CheckAddress(string host, IPAddress address)
    {
        if (AllowPrivateNetworks)
        {
            return null;
        }

        var category = NetworkAddressClassifier.Classify(address);
        if (category == AddressCategory.Public)
        {
            return null;
        }

        var normalized = Normalize(address);
        foreach (var network in _networks)
        {
            if (network.Contains(normalized))
            {
                return null;
            }
        }

        var what = IPAddress.TryParse(host.Trim('[', ']'), out _)
            ? $"{address} is {NetworkAddressClassifier.Describe(category)}"
            : $"the host '{host}' resolves to {address}, {NetworkAddressClassifier.Describe(category)}";
        return new DestinationRefusal(
            "network",
            what + ", which Mimisbrunnr does not send to unless Mimisbrunnr:Destinations:AllowPrivateNetworks is set or Mimisbrunnr:Destinations:AllowedHosts lists it.");
    }

    /// <summary>The refusal for a metadata host name.</summary>
    public static DestinationRefusal MetadataHostRefusal(string host) => new(
        "host",
        $"the host '{host}' is a cloud metadata service, which Mimisbrunnr does not send to unless Mimisbrunnr:Destinations:AllowPrivateNetworks is set or Mimisbrunnr:Destinations:AllowedHosts lists it.");

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static string NormalizeHost(string host) => host.TrimEnd('.');
}
