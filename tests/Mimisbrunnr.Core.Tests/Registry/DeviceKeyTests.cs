using Mimisbrunnr.Registry;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Registry;

public class DeviceKeyTests
{
    [Theory]
    [InlineData("mac:112233445566", "MAC:11:22:33:44:55:66")]
    [InlineData("mac:000000000000", "mac:00-00-00-00-00-00")]
    [InlineData("uuid:ABC-def", "uuid:abc-DEF")]
    [InlineData("serial:X1", "serial:x1")]
    public void Keys_of_the_same_device_are_equal_and_hash_alike(string a, string b)
    {
        var (left, right) = (DeviceKey.From(DeviceId.Parse(a)), DeviceKey.From(DeviceId.Parse(b)));

        Assert.Equal(DeviceId.Parse(a), DeviceId.Parse(b));
        Assert.True(left.Equals(right));
        Assert.Equal(left.GetHashCode(), right.GetHashCode());
    }

    [Theory]
    [InlineData("mac:112233445566", "mac:112233445567")]
    [InlineData("mac:112233445566", "serial:112233445566")]
    [InlineData("mac:ffffffffffff", "mac:000000000000")]
    [InlineData("uuid:a", "uuid:b")]
    public void Keys_of_different_devices_differ(string a, string b)
    {
        Assert.NotEqual(DeviceId.Parse(a), DeviceId.Parse(b));
        Assert.False(DeviceKey.From(DeviceId.Parse(a)).Equals(DeviceKey.From(DeviceId.Parse(b))));
    }

    [Fact]
    public void A_registry_finds_mac_and_other_devices_through_their_keys()
    {
        var registry = new NornRegistry();
        registry.Apply(TestNorns.Http("mac:aabbccddeeff", "https://a.example/"));
        registry.Apply(TestNorns.Http("serial:ABC123", "https://a.example/"));

        Assert.Single(registry.GetByDevice(DeviceId.Parse("MAC:AA:BB:CC:DD:EE:FF")));
        Assert.Single(registry.GetByDevice(DeviceId.Parse("serial:abc123")));
        Assert.Empty(registry.GetByDevice(DeviceId.Parse("mac:aabbccddeef0")));
    }
}
