using System.Text;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Core.Tests.Delivery;

/// <summary>The per-norn signer gives exactly the one-shot signatures, send after send, and is kept per norn version.</summary>
public sealed class NornSignerTests
{
    public static TheoryData<string> Secrets => new()
    {
        "plain-secret",
        "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes("a standard webhooks key of 32 b!")),
        "ünïcödé-sécret-ключ",
        new string('k', 300), // longer than any stack buffer of the one-shot path
    };

    [Theory]
    [MemberData(nameof(Secrets))]
    public void Signatures_equal_the_one_shot_ones_for_every_send(string secret)
    {
        using var signer = NornSigner.Create(new HttpDestination { Url = "https://example.com/hook", Secret = secret }, secret);
        var bodies = new[] { Array.Empty<byte>(), "{\"a\":1}"u8.ToArray(), Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray() };
        var ids = new[] { "msg_0123456789abcdef0123456789abcdef", "msg_" + new string('x', 200), "ïd-with-ünicode" };
        for (var round = 0; round < 3; round++)
        {
            foreach (var body in bodies)
            {
                Assert.Equal(DeliverySignatures.ComputeWebpaSignature(secret, body), signer.WebpaSignature(body));
                foreach (var id in ids)
                {
                    foreach (var timestamp in new[] { 0L, 1_700_000_000L, long.MaxValue })
                    {
                        Assert.Equal(
                            DeliverySignatures.ComputeStandardWebhooksSignature(secret, id, timestamp, body),
                            signer.StandardWebhooksSignature(id, timestamp, body));
                    }
                }
            }
        }
    }

    [Fact]
    public void A_slot_gives_its_signer_to_one_taker_for_the_same_norn_version_only()
    {
        var version1 = new HttpDestination { Url = "https://example.com/hook", Secret = "one" };
        var version2 = version1 with { Secret = "two" };
        object? slot = null;
        Assert.Null(NornSigner.Take(ref slot, version1));

        var signer = NornSigner.Create(version1, "one");
        NornSigner.Return(ref slot, signer);
        Assert.Same(signer, NornSigner.Take(ref slot, version1));
        Assert.Null(NornSigner.Take(ref slot, version1)); // taken: a second worker makes its own

        // A second signer given back while the slot holds one is disposed, not kept.
        var other = NornSigner.Create(version1, "one");
        NornSigner.Return(ref slot, signer);
        NornSigner.Return(ref slot, other);
        Assert.Same(signer, slot);
        Assert.Throws<ObjectDisposedException>(() => other.WebpaSignature([1]));

        // A newer version of the norn never gets the older version's signer (which is disposed).
        Assert.Null(NornSigner.Take(ref slot, version2));
        Assert.Null(slot);
        Assert.Throws<ObjectDisposedException>(() => signer.WebpaSignature([1]));
    }
}
