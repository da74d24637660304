using System.Security.Cryptography;
using System.Text;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Tests.Norns;

public class NornSecretProtectorTests
{
    private const string Purpose = "0123abcd/destination.http.secret";

    // Two fixed keys, so that the key ids below are known values: the first 8 hex digits of each key's SHA-256.
    private static readonly string KeyA = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string KeyB = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void A_secret_is_stored_encrypted_under_the_first_key_and_revealed_for_its_purpose_only()
    {
        var protector = Protector(KeyA);

        var stored = protector.Protect("s3cret-value", Purpose);

        Assert.True(protector.IsEnabled);
        Assert.StartsWith(NornSecretProtector.Prefix + KeyIdOf(KeyA) + ":", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", stored, StringComparison.Ordinal);
        Assert.True(protector.TryUnprotect(stored, Purpose, out var secret));
        Assert.Equal("s3cret-value", secret);
        Assert.False(protector.TryUnprotect(stored, "0123abcd/destination.sqs.secret", out _));
        Assert.False(protector.TryUnprotect(stored, "ffffffff/destination.http.secret", out _));
    }

    [Fact]
    public void Long_secrets_and_purposes_and_alternating_keys_are_revealed()
    {
        var a = Protector(KeyA);
        var b = Protector(KeyB);
        var longSecret = new string('x', 1_000) + "é";
        var longPurpose = new string('p', 600) + "/destination.http.secret";

        var storedA = a.Protect(longSecret, longPurpose);
        var storedB = b.Protect("short", Purpose);

        for (var i = 0; i < 3; i++)
        {
            // The cipher kept per thread follows the key of each value.
            Assert.True(a.TryUnprotect(storedA, longPurpose, out var revealedA));
            Assert.Equal(longSecret, revealedA);
            Assert.True(b.TryUnprotect(storedB, Purpose, out var revealedB));
            Assert.Equal("short", revealedB);
            Assert.False(a.TryUnprotect(storedA, Purpose, out _));
        }
    }

    [Fact]
    public void Each_protection_uses_a_fresh_nonce()
    {
        var protector = Protector(KeyA);

        Assert.NotEqual(protector.Protect("same", Purpose), protector.Protect("same", Purpose));
    }

    [Fact]
    public void A_value_altered_in_the_store_is_not_revealed()
    {
        var protector = Protector(KeyA);
        var stored = protector.Protect("s3cret-value", Purpose);
        var last = stored[^1];
        var altered = stored[..^1] + (last == 'A' ? 'B' : 'A');

        Assert.False(protector.TryUnprotect(altered, Purpose, out _));
        Assert.False(protector.TryUnprotect(stored[..^4], Purpose, out _));
        Assert.False(protector.TryUnprotect(NornSecretProtector.Prefix + KeyIdOf(KeyA) + ":!!not-base64!!", Purpose, out _));
        Assert.False(protector.TryUnprotect(NornSecretProtector.Prefix + "short:AAAA", Purpose, out _));
    }

    [Fact]
    public void Rotation_writes_under_the_new_key_and_still_reads_the_old_one_until_it_is_removed()
    {
        var old = Protector(KeyA).Protect("old-secret", Purpose);
        var rotated = Protector(KeyB, KeyA);

        var fresh = rotated.Protect("new-secret", Purpose);

        Assert.StartsWith(NornSecretProtector.Prefix + KeyIdOf(KeyB) + ":", fresh, StringComparison.Ordinal);
        Assert.True(rotated.TryUnprotect(old, Purpose, out var oldSecret));
        Assert.Equal("old-secret", oldSecret);
        Assert.False(Protector(KeyB).TryUnprotect(old, Purpose, out _));
    }

    [Fact]
    public void Without_keys_secrets_are_kept_as_given_and_protected_values_are_not_revealed()
    {
        var plain = Protector();
        var stored = Protector(KeyA).Protect("s3cret-value", Purpose);

        Assert.False(plain.IsEnabled);
        Assert.Equal("s3cret-value", plain.Protect("s3cret-value", Purpose));
        Assert.False(plain.TryUnprotect(stored, Purpose, out _));
        Assert.False(NornSecretProtector.None.TryUnprotect(stored, Purpose, out _));
        Assert.True(NornSecretProtector.None.TryUnprotect("legacy", Purpose, out var legacy));
        Assert.Equal("legacy", legacy);
    }

    [Fact]
    public void A_secret_stored_before_keys_were_configured_is_used_as_it_is()
    {
        Assert.True(Protector(KeyA).TryUnprotect("written-in-plain-text", Purpose, out var secret));
        Assert.Equal("written-in-plain-text", secret);
    }

    [Fact]
    public void Every_secret_field_of_a_norn_is_protected_for_its_own_field()
    {
        var protector = Protector(KeyA);
        var http = Norn(new NornDestination { Http = new HttpDestination { Url = "https://consumer.example/", Secret = "hmac" } });
        var sqs = Norn(new NornDestination
        {
            Sqs = new SqsDestination
            {
                QueueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                AccessKeyId = "AKIAEXAMPLE",
                SecretAccessKey = "aws-secret",
                SessionToken = "aws-token",
                Secret = "notice-secret",
            },
        });

        var storedHttp = NornSecrets.Protect(http, protector).Destination.Http!;
        var storedSqs = NornSecrets.Protect(sqs, protector).Destination.Sqs!;

        Assert.Equal("hmac", Reveal(protector, NornSecrets.HttpSecret, storedHttp.Secret));
        Assert.Equal("aws-secret", Reveal(protector, NornSecrets.SqsSecretAccessKey, storedSqs.SecretAccessKey));
        Assert.Equal("aws-token", Reveal(protector, NornSecrets.SqsSessionToken, storedSqs.SessionToken));
        Assert.Equal("notice-secret", Reveal(protector, NornSecrets.SqsSecret, storedSqs.Secret));
        Assert.Equal("AKIAEXAMPLE", storedSqs.AccessKeyId);
        Assert.False(NornSecrets.TryReveal(protector, "n1", NornSecrets.SqsSecret, storedSqs.SecretAccessKey, out _));
        Assert.True(NornSecrets.TryReveal(protector, "n1", NornSecrets.SqsSecret, null, out var none));
        Assert.Null(none);
    }

    [Fact]
    public void A_norn_without_secrets_is_stored_unchanged()
    {
        var norn = Norn(new NornDestination { Http = new HttpDestination { Url = "https://consumer.example/" } });

        Assert.Same(norn, NornSecrets.Protect(norn, Protector(KeyA)));
    }

    [Theory]
    [InlineData("not base64 at all", "Mimisbrunnr:SecretKeys:0 must be the base64 of exactly 32 bytes")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==", "Mimisbrunnr:SecretKeys:0 must be the base64 of exactly 32 bytes")]
    public void Options_validation_names_a_bad_key_by_its_index(string key, string expected)
    {
        var options = new MimisbrunnrOptions();
        options.SecretKeys.Add(key);

        var result = new SecretKeysValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Options_validation_refuses_a_repeated_key_and_accepts_distinct_ones()
    {
        var repeated = new MimisbrunnrOptions();
        repeated.SecretKeys.Add(KeyA);
        repeated.SecretKeys.Add(KeyB);
        repeated.SecretKeys.Add(KeyA);
        var distinct = new MimisbrunnrOptions();
        distinct.SecretKeys.Add(KeyA);
        distinct.SecretKeys.Add(KeyB);

        var failures = new SecretKeysValidator().Validate(null, repeated).Failures!;

        Assert.Equal(["Mimisbrunnr:SecretKeys:2 repeats an earlier key."], failures);
        Assert.True(new SecretKeysValidator().Validate(null, distinct).Succeeded);
    }

    private static NornSecretProtector Protector(params string[] keys)
    {
        var options = new MimisbrunnrOptions();
        foreach (var key in keys)
        {
            options.SecretKeys.Add(key);
        }

        return new NornSecretProtector(StaticOptionsMonitor.For(options));
    }

    private static string KeyIdOf(string base64Key) =>
        Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(base64Key)))[..8];

    private static string? Reveal(INornSecretProtector protector, string field, string? stored)
    {
        Assert.NotNull(stored);
        Assert.StartsWith(NornSecretProtector.Prefix, stored, StringComparison.Ordinal);
        Assert.True(NornSecrets.TryReveal(protector, "n1", field, stored, out var secret));
        return secret;
    }

    /// <summary>A norn with this destination and the id <c>n1</c>, which the secrets' purposes name.</summary>
    private static Norn Norn(NornDestination destination) =>
        TestNorns.Http(TestNorns.Device, "https://consumer.example/") with { Id = "n1", Destination = destination };

    [Fact]
    public void The_stored_form_is_the_documented_aes_gcm_layout()
    {
        var protector = Protector(KeyA);
        var stored = protector.Protect("abc", Purpose);
        var sealedBytes = System.Buffers.Text.Base64Url.DecodeFromChars(stored.AsSpan(stored.LastIndexOf(':') + 1));

        // nonce (12) ‖ ciphertext (3) ‖ tag (16), decrypted here independently of the protector.
        Assert.Equal(12 + 3 + 16, sealedBytes.Length);
        var plaintext = new byte[3];
        using var aes = new AesGcm(Convert.FromBase64String(KeyA), 16);
        aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(12, 3), sealedBytes.AsSpan(15), plaintext, Encoding.UTF8.GetBytes(Purpose));
        Assert.Equal("abc", Encoding.UTF8.GetString(plaintext));
    }
}
