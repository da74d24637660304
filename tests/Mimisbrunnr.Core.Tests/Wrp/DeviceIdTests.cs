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

public class DeviceIdGoParityTests
{
    [Theory]
    [InlineData("mac:\u00e912345678901", "invalid device name: invalid character `\u00c3` in MAC address")] // é is C3 A9; Go prints the byte
    [InlineData("mac:\u260312345678901", "invalid device name: invalid character `\u00e2` in MAC address")] // ☃ is E2 98 83
    [InlineData("mac:112233445566\u00a0x", "invalid device name: invalid character `\u00c2` in MAC address")]
    public void Mac_errors_name_the_offending_byte_as_go_does(string input, string reason)
    {
        Assert.False(DeviceId.TryParse(input, out _, out var error));
        Assert.Equal(reason, error);
    }

    [Fact]
    public void Mac_error_for_an_invalid_utf8_byte_names_that_byte()
    {
        // Built in code: attribute arguments cannot carry a lone surrogate (it would become U+FFFD).
        var input = "mac:" + (char)0xDCFF + "12345678901";

        Assert.False(DeviceId.TryParse(input, out _, out var error));
        Assert.Equal("invalid device name: invalid character `\u00ff` in MAC address", error);
    }

    [Theory]
    [InlineData("\u017Felf:")]
    [InlineData("uu\u0131d:x")]
    [InlineData("\u212Aac:112233445566")]
    public void Scheme_matching_folds_only_ascii_letters(string input) =>
        Assert.False(DeviceId.TryParse(input, out _));

    [Theory]
    [InlineData("\u00a0uuid:x\u2028", "uuid:x")]
    [InlineData("\u3000dns:  a b  /x", "dns:a b")]
    public void Trimming_uses_unicode_white_space_as_go_does(string input, string expected) =>
        Assert.Equal(expected, DeviceId.Parse(input).ToString());
}
