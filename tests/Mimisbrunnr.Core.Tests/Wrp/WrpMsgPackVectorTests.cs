using System.Text.Json;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>Every msgpack entry of the shared vectors.json (SPEC.md §8), checked against wrp-go v5's recorded outcome.</summary>
public class WrpMsgPackVectorTests
{
    /// <summary>
    /// Entries whose <c>message</c> is not what wrp-go v5 decodes, with the reason. For these the test checks the
    /// decoded message against wrp-go's re-encoding instead (decode(hex) equals decode(reencoded_hex)).
    /// </summary>
    private static readonly Dictionary<string, string> MessageIsNotWrpGoView = new(StringComparer.Ordinal)
    {
        ["wrpc_test_11_encoded_form"] =
            "message shows wrp-c's NULL metadata values (n2, n3); the bytes carry empty strings (a0), which wrp-go decodes as \"\"",
        ["wrpc_test_12"] =
            "message is wrp-c's view without metadata; the bytes carry metadata 80, which wrp-go decodes as an empty map (re-encoded as 80)",
    };

    public static TheoryData<string> MsgpackVectors => VectorMessages.Names(IsMsgpack);

    public static TheoryData<string> DecodableVectors => VectorMessages.Names(e => IsMsgpack(e) && DecodesOk(e.GetProperty("wrp_go")));

    public static TheoryData<string> GeneratedVectors =>
        VectorMessages.Names(e => IsMsgpack(e) && e.GetProperty("origin").GetString() == "wrp-go-generated");

    [Theory]
    [MemberData(nameof(MsgpackVectors))]
    public void Decode_outcome_matches_wrp_go(string name)
    {
        var entry = VectorMessages.Get(name);
        var bytes = VectorMessages.Bytes(entry);
        var wrpGo = entry.GetProperty("wrp_go");
        if (!DecodesOk(wrpGo))
        {
            var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(bytes));
            Assert.StartsWith("WRP msgpack: ", error.Message, StringComparison.Ordinal);
            Assert.NotNull(error.Offset);
            return;
        }

        var decoded = WrpMsgPack.Decode(bytes, out int consumed);
        var remaining = wrpGo.TryGetProperty("remaining", out var r) ? r.GetInt32() : 0;
        Assert.Equal(remaining, bytes.Length - consumed);

        var message = entry.GetProperty("message");
        if (MessageIsNotWrpGoView.ContainsKey(name))
        {
            var reencoded = Convert.FromHexString(wrpGo.GetProperty("reencoded_hex").GetString()!);
            Assert.Equal(WrpMsgPack.Decode(reencoded), decoded);
        }
        else if (message.ValueKind != JsonValueKind.Null)
        {
            Assert.Equal(VectorMessages.ToMessage(message), decoded);
        }
    }

    [Theory]
    [MemberData(nameof(DecodableVectors))]
    public void Reencoding_matches_wrp_go(string name)
    {
        var entry = VectorMessages.Get(name);
        var decoded = WrpMsgPack.Decode(VectorMessages.Bytes(entry));
        var actual = Convert.ToHexStringLower(WrpMsgPack.Encode(decoded));
        if (entry.GetProperty("wrp_go").TryGetProperty("reencoded_hex", out var reencoded))
        {
            Assert.Equal(reencoded.GetString(), actual);
        }
        else
        {
            // Bytes wrp-go wrote itself (msgpack_roundtrip_equal): re-encoding gives them back, up to map order.
            Assert.Contains(actual, ExpectedEncodings(entry));
        }
    }

    [Theory]
    [MemberData(nameof(GeneratedVectors))]
    public void Encoding_the_message_gives_wrp_go_bytes(string name)
    {
        var entry = VectorMessages.Get(name);
        var actual = Convert.ToHexStringLower(WrpMsgPack.Encode(VectorMessages.ToMessage(entry.GetProperty("message"))));
        Assert.Contains(actual, ExpectedEncodings(entry));
    }

    [Fact]
    public void Trailing_bytes_vector_leaves_the_recorded_remainder()
    {
        var entry = VectorMessages.Get(VectorMessages.All.ContainsKey("dec_trailing_bytes") ? "dec_trailing_bytes" : VectorMessages.MissingSentinel);
        var bytes = VectorMessages.Bytes(entry);
        var message = WrpMsgPack.Decode(bytes, out int consumed);
        Assert.Equal(entry.GetProperty("wrp_go").GetProperty("remaining").GetInt32(), bytes.Length - consumed);
        Assert.Equal([0xc0, 0xc0], bytes[consumed..]);
        Assert.Equal(VectorMessages.ToMessage(entry.GetProperty("message")), message);
    }

    [Fact]
    public void Benchmark_message_literal_matches_the_vector()
    {
        var entry = VectorMessages.Get(
            VectorMessages.All.ContainsKey("simple_event_benchmark_message") ? "simple_event_benchmark_message" : VectorMessages.MissingSentinel);
        Assert.Equal(VectorMessages.ToMessage(entry.GetProperty("message")), SpecVectors.BenchmarkMessage());
    }

    /// <summary><c>hex</c> and any <c>hex_variants</c> (metadata map-order variants).</summary>
    private static List<string> ExpectedEncodings(JsonElement entry)
    {
        var expected = new List<string> { entry.GetProperty("hex").GetString()! };
        if (entry.TryGetProperty("hex_variants", out var variants))
        {
            expected.AddRange(variants.EnumerateArray().Select(v => v.GetString()!));
        }

        return expected;
    }

    private static bool IsMsgpack(JsonElement entry) => entry.GetProperty("format").GetString() == "msgpack";

    /// <summary>No <c>decode</c> key means wrp-go produced the bytes, so they decode.</summary>
    private static bool DecodesOk(JsonElement wrpGo) =>
        !wrpGo.TryGetProperty("decode", out var decode) || decode.GetString() == "ok";
}
