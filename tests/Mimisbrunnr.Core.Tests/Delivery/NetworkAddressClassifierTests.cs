using System.Net;
using Mimisbrunnr.Delivery;

namespace Mimisbrunnr.Tests.Delivery;

public sealed class NetworkAddressClassifierTests
{
    [Theory]
    [InlineData("8.8.8.8", nameof(AddressCategory.Public))]
    [InlineData("93.184.216.34", nameof(AddressCategory.Public))]
    [InlineData("100.63.255.255", nameof(AddressCategory.Public))]
    [InlineData("100.128.0.0", nameof(AddressCategory.Public))]
    [InlineData("172.15.255.255", nameof(AddressCategory.Public))]
    [InlineData("172.32.0.0", nameof(AddressCategory.Public))]
    [InlineData("2606:4700::1111", nameof(AddressCategory.Public))]
    [InlineData("127.0.0.1", nameof(AddressCategory.Loopback))]
    [InlineData("127.255.255.254", nameof(AddressCategory.Loopback))]
    [InlineData("::1", nameof(AddressCategory.Loopback))]
    [InlineData("::ffff:127.0.0.1", nameof(AddressCategory.Loopback))]
    [InlineData("0.0.0.0", nameof(AddressCategory.Unspecified))]
    [InlineData("0.1.2.3", nameof(AddressCategory.Unspecified))]
    [InlineData("::", nameof(AddressCategory.Unspecified))]
    [InlineData("10.0.0.1", nameof(AddressCategory.Private))]
    [InlineData("172.16.0.1", nameof(AddressCategory.Private))]
    [InlineData("172.31.255.255", nameof(AddressCategory.Private))]
    [InlineData("192.168.0.1", nameof(AddressCategory.Private))]
    [InlineData("fec0::1", nameof(AddressCategory.Private))]
    [InlineData("::ffff:192.168.1.1", nameof(AddressCategory.Private))]
    [InlineData("2002:c0a8:0101::1", nameof(AddressCategory.Private))]
    [InlineData("64:ff9b:1::1", nameof(AddressCategory.Private))]
    [InlineData("169.254.0.1", nameof(AddressCategory.LinkLocal))]
    [InlineData("fe80::1", nameof(AddressCategory.LinkLocal))]
    [InlineData("fe80::1%2", nameof(AddressCategory.LinkLocal))]
    [InlineData("fc00::1", nameof(AddressCategory.UniqueLocal))]
    [InlineData("fdff::1", nameof(AddressCategory.UniqueLocal))]
    [InlineData("100.64.0.1", nameof(AddressCategory.SharedAddressSpace))]
    [InlineData("100.127.255.255", nameof(AddressCategory.SharedAddressSpace))]
    [InlineData("224.0.0.1", nameof(AddressCategory.Multicast))]
    [InlineData("239.255.255.250", nameof(AddressCategory.Multicast))]
    [InlineData("ff02::1", nameof(AddressCategory.Multicast))]
    [InlineData("255.255.255.255", nameof(AddressCategory.Broadcast))]
    [InlineData("240.0.0.1", nameof(AddressCategory.Reserved))]
    [InlineData("198.18.0.1", nameof(AddressCategory.Reserved))]
    [InlineData("192.0.0.8", nameof(AddressCategory.Reserved))]
    [InlineData("::127.0.0.1", nameof(AddressCategory.Reserved))]
    [InlineData("2001:db8::1", nameof(AddressCategory.Reserved))]
    [InlineData("169.254.169.254", nameof(AddressCategory.CloudMetadata))]
    [InlineData("::ffff:169.254.169.254", nameof(AddressCategory.CloudMetadata))]
    [InlineData("fd00:ec2::254", nameof(AddressCategory.CloudMetadata))]
    [InlineData("100.100.100.200", nameof(AddressCategory.CloudMetadata))]
    [InlineData("64:ff9b::7f00:1", nameof(AddressCategory.Loopback))]
    [InlineData("64:ff9b::808:808", nameof(AddressCategory.Public))]
    public void Classifies(string address, string expected) =>
        Assert.Equal(Enum.Parse<AddressCategory>(expected), NetworkAddressClassifier.Classify(IPAddress.Parse(address)));

    [Fact]
    public void Only_public_addresses_are_public()
    {
        Assert.True(NetworkAddressClassifier.IsPublic(IPAddress.Parse("1.1.1.1")));
        Assert.False(NetworkAddressClassifier.IsPublic(IPAddress.Parse("::ffff:10.0.0.1")));
    }
}
