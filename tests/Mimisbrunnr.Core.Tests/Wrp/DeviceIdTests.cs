using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

public class DeviceIdTests
{
    [Theory]
    [InlineData("MAC:11:22:33:44:55:66/config", "mac:112233445566")]
    [InlineData("  mac:11-aa-BB-44-55-66/service/foo ", "mac:11aabb445566")]
    [InlineData("uuid:ABC-def/svc", "uuid:ABC-def")]
    [InlineData("event:device-status/mac:112233445566/online", "event:device-status")]
    [InlineData("self:anything", "self:")]
    public void Parse_gives_the_canonical_form(string input, string expected) =>
        Assert.Equal(expected, DeviceId.Parse(input).ToString());

    [Theory]
    [InlineData("", "empty device ID")]
    [InlineData("selfie:x", "unknown or missing scheme")]
    [InlineData("mac:11-aa-BB-44-55", "invalid MAC address length")]
    [InlineData("mac:112invalid66", "invalid character `i` in MAC address")]
    [InlineData("dns:   /x", "missing authority")]
    public void Parse_rejects_with_the_reason(string input, string reason)
    {
        var error = Assert.Throws<FormatException>(() => DeviceId.Parse(input));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Equality_ignores_case_of_non_mac_authorities() =>
        Assert.Equal(DeviceId.Parse("uuid:ABC"), DeviceId.Parse("UUID:abc"));
}
