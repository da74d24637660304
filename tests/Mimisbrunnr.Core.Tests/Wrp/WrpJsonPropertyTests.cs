using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>Generated messages survive a JSON round trip, up to what JSON cannot carry.</summary>
public class WrpJsonPropertyTests
{
    [Property(MaxTest = 1000, Arbitrary = [typeof(WrpArbitraries)])]
    public void Decode_of_encode_is_the_message_as_json_keeps_it(WrpMessage message)
    {
        var json = WrpJson.Encode(message);

        WrpAssert.Same(WrpAssert.NormaliseForJson(message), WrpJson.Decode(json));
    }

    [Property(MaxTest = 1000, Arbitrary = [typeof(WrpArbitraries)])]
    public void Both_encode_overloads_write_the_same_bytes(WrpMessage message)
    {
        var writer = new ArrayBufferWriter<byte>(1);

        WrpJson.Encode(message, writer);

        Assert.Equal(WrpJson.Encode(message), writer.WrittenSpan.ToArray());
    }
}

/// <summary>FsCheck generators for <see cref="WrpMessage"/>: awkward strings, every shape of list and number.</summary>
public static class WrpArbitraries
{
    // Pieces strings are built from: ASCII, JSON and HTML specials, controls, DEL, non-ASCII of every UTF-8 length,
    // U+2028/9, U+FFFD, private use (sorts differently in UTF-16 and UTF-8), and surrogate pairs. No lone surrogates.
    private static readonly string[] Pieces =
    [
        "a", "Z", "0", " ", "/", ":", "mac:112233445566", "event:x", "<", ">", "&", "\"", "\\", "'", "\0", "\u0001", "\b",
        "\t", "\n", "\f", "\r", "\u001f", "\u007f", "\u0080", "é", "\u07ff", "\u0800", "☃", "\u2028", "\u2029", "\uFFFD",
        "\uE000", "\uFFFF", "😀", "\U0010FFFF", "ſ", "K",
    ];

    private static Gen<string> Text => Gen.ListOf(Gen.Elements(Pieces)).Select(string.Concat);

    private static Gen<string> OptionalText => Gen.Frequency((1, Gen.Constant(string.Empty)), (2, Text));

    private static Gen<long> Int64 => Gen.OneOf(
        Gen.Elements(0L, 1L, -1L, 99L, 100L, 200L, long.MaxValue, long.MinValue, int.MaxValue + 1L),
        Gen.Choose(int.MinValue, int.MaxValue).Select(i => (long)i),
        Gen.Choose(int.MinValue, int.MaxValue).Two().Select(t => ((long)t.Item1 << 32) ^ (uint)t.Item2));

    private static Gen<long?> OptionalInt64 => Gen.Frequency((1, Gen.Constant<long?>(null)), (2, Int64.Select(v => (long?)v)));

    private static Gen<IReadOnlyList<string>?> OptionalList => Gen.Frequency(
        (1, Gen.Constant<IReadOnlyList<string>?>(null)),
        (1, Gen.Constant<IReadOnlyList<string>?>([])),
        (3, Gen.ListOf(Text).Select(l => (IReadOnlyList<string>?)l.ToArray())));

    private static Gen<IReadOnlyDictionary<string, string>?> OptionalMap => Gen.Frequency(
        (1, Gen.Constant<IReadOnlyDictionary<string, string>?>(null)),
        (1, Gen.Constant<IReadOnlyDictionary<string, string>?>(new Dictionary<string, string>())),
        (3, Gen.ListOf(Text.Zip(Text)).Select(WrpMessageGen.Map)));

    private static Gen<byte[]?> OptionalBytes => Gen.Frequency(
        (1, Gen.Constant<byte[]?>(null)),
        (1, Gen.Constant<byte[]?>([])),
        (3, Gen.ListOf(Gen.Choose(0, 255).Select(b => (byte)b)).Select(l => (byte[]?)l.ToArray())));

    private static readonly Gen<WrpMessage> Messages = WrpMessageGen.Messages(
        Gen.Frequency((4, Gen.Choose(0, 12).Select(t => (long)t)), (1, Int64)),
        OptionalText,
        OptionalInt64,
        OptionalList,
        OptionalMap,
        OptionalBytes,
        Gen.Frequency((3, Gen.Constant(0L)), (1, Int64)));

    public static Arbitrary<WrpMessage> Message() => Messages.ToArbitrary();
}
