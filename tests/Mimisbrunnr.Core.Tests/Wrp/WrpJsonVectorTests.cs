using System.Text;
using System.Text.Json;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>The JSON codec against the shared vectors (SPEC.md §8): wrp-go's own JSON output and decode outcomes.</summary>
public class WrpJsonVectorTests
{
    public static TheoryData<string> JsonVectors => VectorMessages.Names(e => e.GetProperty("format").GetString() == "json");

    public static TheoryData<string> JsonTextVectors => VectorMessages.Names(e => e.TryGetProperty("json_text", out _));

    [Theory]
    [MemberData(nameof(JsonVectors))]
    public void Json_input_decodes_as_wrp_go_decodes_it(string name)
    {
        var entry = VectorMessages.Get(name);
        var bytes = VectorMessages.Bytes(entry);
        var wrpGo = entry.GetProperty("wrp_go");
        var outcome = wrpGo.GetProperty("decode").GetString();

        if (outcome != "ok")
        {
            Assert.StartsWith("error", outcome, StringComparison.Ordinal);
            Assert.Throws<WrpFormatException>(() => WrpJson.Decode(bytes));
            return;
        }

        var decoded = WrpJson.Decode(bytes);
        WrpAssert.Same(VectorMessages.ToMessage(entry.GetProperty("message")), decoded);
        Assert.Equal(WithoutNewline(wrpGo.GetProperty("reencoded_json").GetString()!), Encoding.UTF8.GetString(WrpJson.Encode(decoded)));
    }

    [Theory]
    [MemberData(nameof(JsonTextVectors))]
    public void Encode_is_byte_identical_to_wrp_go_json(string name)
    {
        var entry = VectorMessages.Get(name);
        var message = VectorMessages.ToMessage(entry.GetProperty("message"));

        Assert.Equal(WithoutNewline(entry.GetProperty("json_text").GetString()!), Encoding.UTF8.GetString(WrpJson.Encode(message)));
    }

    [Theory]
    [MemberData(nameof(JsonTextVectors))]
    public void Decode_of_wrp_go_json_gives_the_message_as_json_keeps_it(string name)
    {
        var entry = VectorMessages.Get(name);
        var message = VectorMessages.ToMessage(entry.GetProperty("message"));
        var json = Encoding.UTF8.GetBytes(entry.GetProperty("json_text").GetString()!);

        // With the newline, as json.Encoder wrote it; the decoder reads the first value and ignores the rest.
        WrpAssert.Same(WrpAssert.NormaliseForJson(message), WrpJson.Decode(json));
    }

    [Fact]
    public void Every_json_vector_and_json_text_is_covered()
    {
        if (VectorMessages.All.Count == 0)
        {
            Assert.Skip(SharedVectors.MissingReason);
        }

        // Guards against a schema change silently emptying the theories above.
        Assert.True(VectorMessages.All.Values.Count(e => e.GetProperty("format").GetString() == "json") >= 7);
        Assert.True(VectorMessages.All.Values.Count(e => e.TryGetProperty("json_text", out _)) >= 27);
        Assert.All(
            VectorMessages.All.Values.Where(e => e.TryGetProperty("json_text", out _)),
            e => Assert.Equal(JsonValueKind.Object, e.GetProperty("message").ValueKind));
    }

    private static string WithoutNewline(string text)
    {
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return text[..^1];
    }
}
