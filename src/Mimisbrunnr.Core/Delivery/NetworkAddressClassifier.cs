using System.Net;
using System.Net.Sockets;

namespace Mimisbrunnr.Delivery;

/// <summary>What kind of network an IP address belongs to, as far as sending to it is concerned.</summary>
internal enum AddressCategory
{
    /// <summary>A globally routable address: allowed.</summary>
    Public,

    /// <summary>Loopback: <c>127.0.0.0/8</c>, <c>::1</c>.</summary>
    Loopback,

    /// <summary>Unspecified or "this network": <c>0.0.0.0/8</c>, <c>::</c>.</summary>
    Unspecified,

    /// <summary>
    /// Private: <c>10.0.0.0/8</c>, <c>172.16.0.0/12</c>, <c>192.168.0.0/16</c>, deprecated IPv6 site-local
    /// <c>fec0::/10</c>, local-use NAT64 <c>64:ff9b:1::/48</c>.
    /// </summary>
    Private,

    /// <summary>Link-local: <c>169.254.0.0/16</c>, <c>fe80::/10</c>.</summary>
    LinkLocal,

    /// <summary>Unique-local IPv6: <c>fc00::/7</c>.</summary>
    UniqueLocal,

    /// <summary>Shared address space (carrier-grade NAT): <c>100.64.0.0/10</c>.</summary>
    SharedAddressSpace,

    /// <summary>Multicast: <c>224.0.0.0/4</c>, <c>ff00::/8</c>.</summary>
    Multicast,

    /// <summary>Limited broadcast: <c>255.255.255.255</c>.</summary>
    Broadcast,

    /// <summary>
    /// Reserved or special-purpose, never a webhook: <c>240.0.0.0/4</c>, <c>192.0.0.0/24</c>, benchmarking
    /// <c>198.18.0.0/15</c>, documentation ranges, IPv4-compatible IPv6 <c>::/96</c>, discard <c>100::/64</c>,
    /// <c>2001:db8::/32</c>.
    /// </summary>
    Reserved,

    /// <summary>
    /// A cloud instance-metadata address: <c>169.254.169.254</c> (AWS, GCP, Azure, ...), <c>fd00:ec2::254</c> (AWS IPv6),
    /// <c>100.100.100.200</c> (Alibaba).
    /// </summary>
    CloudMetadata,
}

/// <summary>
/// Classifies IP addresses for SSRF protection. IPv4-mapped IPv6 (<c>::ffff:a.b.c.d</c>), NAT64 (<c>64:ff9b::/96</c>)
/// and 6to4 (<c>2002::/16</c>) addresses are classified by the IPv4 address they carry, so that
/// <c>[::ffff:127.0.0.1]</c> is loopback.
/// </summary>
internal static class NetworkAddressClassifier
{
    private static readonly (IPNetwork Network, AddressCategory Category)[] V4Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/8"), AddressCategory.Unspecified),
        (IPNetwork.Parse("10.0.0.0/8"), AddressCategory.Private),
        (IPNetwork.Parse("100.64.0.0/10"), AddressCategory.SharedAddressSpace),
        (IPNetwork.Parse("127.0.0.0/8"), AddressCategory.Loopback),
        (IPNetwork.Parse("169.254.0.0/16"), AddressCategory.LinkLocal),
        (IPNetwork.Parse("172.16.0.0/12"), AddressCategory.Private),
        (IPNetwork.Parse("192.0.0.0/24"), AddressCategory.Reserved),
        (IPNetwork.Parse("192.0.2.0/24"), AddressCategory.Reserved),
        (IPNetwork.Parse("192.168.0.0/16"), AddressCategory.Private),
        (IPNetwork.Parse("198.18.0.0/15"), AddressCategory.Reserved),
        (IPNetwork.Parse("198.51.100.0/24"), AddressCategory.Reserved),
        (IPNetwork.Parse("203.0.113.0/24"), AddressCategory.Reserved),
        (IPNetwork.Parse("224.0.0.0/4"), AddressCategory.Multicast),
        (IPNetwork.Parse("240.0.0.0/4"), AddressCategory.Reserved),
    ];

    private static readonly (IPNetwork Network, AddressCategory Category)[] V6Ranges =
    [
        (IPNetwork.Parse("::/96"), AddressCategory.Reserved),
        (IPNetwork.Parse("64:ff9b:1::/48"), AddressCategory.Private),
        (IPNetwork.Parse("100::/64"), AddressCategory.Reserved),
        (IPNetwork.Parse("2001:db8::/32"), AddressCategory.Reserved),
        (IPNetwork.Parse("fc00::/7"), AddressCategory.UniqueLocal),
        (IPNetwork.Parse("fe80::/10"), AddressCategory.LinkLocal),
        (IPNetwork.Parse("fec0::/10"), AddressCategory.Private),
        (IPNetwork.Parse("ff00::/8"), AddressCategory.Multicast),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPAddress MetadataV4 = IPAddress.Parse("169.254.169.254");
    private static readonly IPAddress AlibabaMetadataV4 = IPAddress.Parse("100.100.100.200");
    private static readonly IPAddress MetadataV6 = IPAddress.Parse("fd00:ec2::254");

    /// <summary>Classifies an address.</summary>
    /// <param name="address">An IPv4 or IPv6 address.</param>
    /// <returns>Its category; <see cref="AddressCategory.Public"/> only for globally routable unicast addresses.</returns>
    public static AddressCategory Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv4MappedToIPv6)
            {
                return ClassifyV4(address.MapToIPv4());
            }

            return ClassifyV6(address);
        }

        return address.AddressFamily == AddressFamily.InterNetwork ? ClassifyV4(address) : AddressCategory.Reserved;
    }

    /// <summary>Whether an address is globally routable (the only category allowed by default).</summary>
    /// <param name="address">The address.</param>
    /// <returns><see langword="true"/> for <see cref="AddressCategory.Public"/>.</returns>
    public static bool IsPublic(IPAddress address) => Classify(address) == AddressCategory.Public;

    /// <summary>A few words for a person: "a loopback address", "a cloud metadata address", ...</summary>
    /// <param name="category">The category.</param>
    /// <returns>A noun phrase with its article.</returns>
    public static string Describe(AddressCategory category) => category switch
    {
        AddressCategory.Public => "a public address",
        AddressCategory.Loopback => "a loopback address",
        AddressCategory.Unspecified => "an unspecified (this-network) address",
        AddressCategory.Private => "a private-network address",
        AddressCategory.LinkLocal => "a link-local address",
        AddressCategory.UniqueLocal => "a unique-local address",
        AddressCategory.SharedAddressSpace => "a carrier-grade NAT (shared address space) address",
        AddressCategory.Multicast => "a multicast address",
        AddressCategory.Broadcast => "the broadcast address",
        AddressCategory.CloudMetadata => "a cloud metadata address",
        _ => "a reserved address",
    };

    private static AddressCategory ClassifyV4(IPAddress address)
    {
        if (address.Equals(IPAddress.Broadcast))
        {
            return AddressCategory.Broadcast;
        }

        if (address.Equals(MetadataV4) || address.Equals(AlibabaMetadataV4))
        {
            return AddressCategory.CloudMetadata;
        }

        foreach (var (network, category) in V4Ranges)
        {
            if (network.Contains(address))
            {
                return category;
            }
        }

        return AddressCategory.Public;
    }

    private static AddressCategory ClassifyV6(IPAddress address)
    {
        if (address.Equals(IPAddress.IPv6Any))
        {
            return AddressCategory.Unspecified;
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return AddressCategory.Loopback;
        }

        // Scope ids (fe80::1%eth0) do not change the network; compare the bare address.
        var bare = address.ScopeId == 0 ? address : new IPAddress(address.GetAddressBytes());
        if (bare.Equals(MetadataV6))
        {
            return AddressCategory.CloudMetadata;
        }

        Span<byte> bytes = stackalloc byte[16];
        bare.TryWriteBytes(bytes, out _);
        if (Nat64.Contains(bare))
        {
            return ClassifyV4(new IPAddress(bytes[12..]));
        }

        if (SixToFour.Contains(bare))
        {
            return ClassifyV4(new IPAddress(bytes[2..6]));
        }

        foreach (var (network, category) in V6Ranges)
        {
            if (network.Contains(bare))
            {
                return category;
            }
        }

        return AddressCategory.Public;
    }
}
