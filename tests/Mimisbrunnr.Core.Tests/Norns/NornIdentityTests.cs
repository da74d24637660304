using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Tests.Norns;

public class NornIdentityTests
{
    [Fact]
    public void The_id_is_the_sha256_of_device_newline_destination_as_known_vector()
    {
        // Computed outside .NET: printf 'mac:112233445566\nhttps://example.com/hook' | sha256sum
        const string Known = "6d2fb860280874822a0249296a21cd382e68e577730fbdf548b2be6ced808abd";

        Assert.Equal(Known, NornIdentity.Derive("mac:112233445566", "https://example.com/hook"));
    }

    [Fact]
    public void The_id_matches_an_independent_incremental_hash()
    {
        // The device part is the device key: the canonical id lower-cased, so uuid:Äbc and uuid:äbc are one norn.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes("uuid:äbc"));
        hash.AppendData("\n"u8);
        hash.AppendData(Encoding.UTF8.GetBytes("https://example.com/ü"));
        var expected = string.Concat(hash.GetHashAndReset().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

        Assert.Equal(expected, NornIdentity.Derive("uuid:Äbc", "https://example.com/ü"));
        Assert.True(NornIdentity.IsWellFormed(expected));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("6D2FB860280874822A0249296A21CD382E68E577730FBDF548B2BE6CED808ABD")]
    [InlineData("6d2fb860280874822a0249296a21cd382e68e577730fbdf548b2be6ced808ab")]
    [InlineData("../../etc/passwd")]
    public void Malformed_ids_are_recognised(string? id) => Assert.False(NornIdentity.IsWellFormed(id));
}
