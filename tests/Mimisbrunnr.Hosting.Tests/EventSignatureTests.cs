using System.Security.Cryptography;
using System.Text;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>The events endpoint's HMAC check, whose keyed HMAC is kept per thread for the last key it saw.</summary>
public sealed class EventSignatureTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("a body of a few bytes");

    [Fact]
    public void A_signature_matches_its_key_only_whatever_key_the_thread_saw_before()
    {
        var alpha = Encoding.UTF8.GetBytes("alpha-secret");
        var beta = Encoding.UTF8.GetBytes("beta-secret");
        var alphaHeader = Header(alpha, Body);
        var betaHeader = Header(beta, Body);

        Assert.True(EventEndpoint.SignatureMatches(alphaHeader, alpha, Body));
        Assert.False(EventEndpoint.SignatureMatches(alphaHeader, beta, Body));
        Assert.True(EventEndpoint.SignatureMatches(betaHeader, beta, Body));
        Assert.False(EventEndpoint.SignatureMatches(betaHeader, alpha, Body));
        Assert.True(EventEndpoint.SignatureMatches(alphaHeader, alpha, Body));

        // Another array with the same bytes is the same key; a changed body is not the same signature.
        Assert.True(EventEndpoint.SignatureMatches(alphaHeader, (byte[])alpha.Clone(), Body));
        Assert.False(EventEndpoint.SignatureMatches(alphaHeader, alpha, Encoding.UTF8.GetBytes("another body")));
        Assert.True(EventEndpoint.SignatureMatches(alphaHeader, "alpha-secret", Body));
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha1=")]
    [InlineData("sha256=00")]
    [InlineData("sha1=zz")]
    public void A_malformed_header_never_matches(string header) =>
        Assert.False(EventEndpoint.SignatureMatches(header, Encoding.UTF8.GetBytes("k"), Body));

    [Fact]
    public void The_prefix_is_case_insensitive_and_the_hex_may_be_upper_case()
    {
        var key = Encoding.UTF8.GetBytes("k");
        var hex = Convert.ToHexString(HMACSHA1.HashData(key, Body));
        Assert.True(EventEndpoint.SignatureMatches("SHA1=" + hex, key, Body));
    }

    [Fact]
    public async Task Threads_checking_with_different_keys_at_once_get_their_own_answers()
    {
        var keys = Enumerable.Range(0, 8).Select(i => Encoding.UTF8.GetBytes("secret-" + i)).ToArray();
        var headers = keys.Select(k => Header(k, Body)).ToArray();
        var wrong = 0;
        await Parallel.ForAsync(0, 20_000, TestContext.Current.CancellationToken, (i, _) =>
        {
            var k = i % keys.Length;
            if (!EventEndpoint.SignatureMatches(headers[k], keys[k], Body) || EventEndpoint.SignatureMatches(headers[(k + 1) % keys.Length], keys[k], Body))
            {
                Interlocked.Increment(ref wrong);
            }

            return ValueTask.CompletedTask;
        });
        Assert.Equal(0, wrong);
    }

    private static string Header(byte[] key, byte[] body) => "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(key, body));
}
