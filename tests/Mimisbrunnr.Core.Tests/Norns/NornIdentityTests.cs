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
    public void The_id_matches_an_independent_incremental_hash_of_the_lower_cased_device()
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
    [InlineData("uuid:ABC", "uuid:abc")]
    [InlineData("serial:Xy-9", "serial:XY-9")]
    [InlineData("mac:112233445566", "mac:112233445566")]
    public void Spellings_of_one_device_give_one_id(string a, string b) =>
        Assert.Equal(NornIdentity.Derive(a, "https://h/hook"), NornIdentity.Derive(b, "https://h/hook"));

    [Theory]
    [InlineData("http://h/hook", "http://h/hook")]
    [InlineData("HTTP://H/hook", "http://h/hook")]
    [InlineData("http://h:80/hook", "http://h/hook")]
    [InlineData("https://h:443/hook", "https://h/hook")]
    [InlineData("https://h:8443/hook", "https://h:8443/hook")]
    [InlineData("http://h", "http://h/")]
    [InlineData("http://h?x=1", "http://h/?x=1")]
    [InlineData("http://h/Hook/%7E?B=%41#frag", "http://h/Hook/%7E?B=%41")]
    [InlineData("http://bücher.example/x", "http://xn--bcher-kva.example/x")]
    [InlineData("http://[::1]:8080/x", "http://[::1]:8080/x")]
    [InlineData("http://[FE80::1]/x", "http://[fe80::1]/x")]
    [InlineData("http://127.0.0.1:80/a/../b", "http://127.0.0.1/a/../b")]
    public void Urls_normalise_scheme_host_and_port_and_keep_path_and_query_as_written(string url, string expected) =>
        Assert.Equal(expected, NornIdentity.NormalizeUrl(url));

    [Fact]
    public void Normalize_rekeys_a_norn_written_under_the_old_rules_and_keeps_its_device_spelling()
    {
        var old = new Norn
        {
            Id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("uuid:ABC\nHTTP://H:80/hook"))),
            DeviceId = "uuid:ABC",
            Owner = "alice",
            Destination = new NornDestination { Http = new HttpDestination { Url = "HTTP://H:80/hook", FailureUrl = "HTTP://H/cut" } },
            ExpiresAt = DateTimeOffset.UnixEpoch.AddDays(1),
            CreatedAt = DateTimeOffset.UnixEpoch,
            UpdatedAt = DateTimeOffset.UnixEpoch,
        };

        var current = NornIdentity.Normalize(old);

        Assert.Equal(NornIdentity.Derive("uuid:abc", "http://h/hook"), current.Id);
        Assert.Equal(("http://h/hook", "http://h/cut"), (current.Destination.Http!.Url, current.Destination.Http.FailureUrl));
        Assert.Equal("uuid:ABC", current.DeviceId);
        Assert.Same(current, NornIdentity.Normalize(current));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("6D2FB860280874822A0249296A21CD382E68E577730FBDF548B2BE6CED808ABD")]
    [InlineData("6d2fb860280874822a0249296a21cd382e68e577730fbdf548b2be6ced808ab")]
    [InlineData("../../etc/passwd")]
    public void Malformed_ids_are_recognised(string? id) => Assert.False(NornIdentity.IsWellFormed(id));
}
