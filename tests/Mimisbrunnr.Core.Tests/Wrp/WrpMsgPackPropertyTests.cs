using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using MessagePack;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>Round-trip properties of the msgpack codec over generated messages (FsCheck).</summary>
public class WrpMsgPackPropertyTests
{
    private const int Cases = 1000;

    /// <summary>Bytes that are never part of valid UTF-8 whatever surrounds them (continuation bytes, C0, C1, F5..FF).</summary>
    private static readonly byte[] AlwaysInvalidBytes =
        [.. Enumerable.Range(0x80, 0x40).Select(b => (byte)b), 0xC0, 0xC1, .. Enumerable.Range(0xF5, 11).Select(b => (byte)b)];

    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(Cases).WithEndSize(50);

    [Fact]
    public void Decode_of_encode_gives_the_message_back()
    {
        var property = Prop.ForAll(Messages().ToArbitrary(), (WrpMessage message) =>
        {
            var bytes = WrpMsgPack.Encode(message);
            var decoded = WrpMsgPack.Decode(bytes, out int consumed);
            Assert.Equal(bytes.Length, consumed);
            Assert.Equal(Normalise(message), decoded);

            // Same bytes through a buffer writer, and again after the round trip (empty collections aside).
            var writer = new ArrayBufferWriter<byte>(16);
            WrpMsgPack.Encode(message, writer);
            Assert.True(writer.WrittenSpan.SequenceEqual(bytes));
            Assert.Equal(WrpMsgPack.Encode(Normalise(message)), WrpMsgPack.Encode(decoded));

            // And through a multi-segment sequence (small segments, at most ~64 of them).
            Assert.Equal(decoded, WrpMsgPack.Decode(SpecVectors.Segmented(bytes, Math.Max(5, bytes.Length / 64)), out long _));
        });
        Check.One(Quick, property);
    }

    [Fact]
    public void A_decoded_message_behaves_like_the_message_built_eagerly()
    {
        // Validation outcome and error, msgpack and JSON bytes, equality: lazy fields change none of them.
        var property = Prop.ForAll(Messages().ToArbitrary(), (WrpMessage message) =>
            WrpMsgPackLazyTests.AssertBehavesLikeEager(WrpMsgPack.Encode(message)));
        Check.One(Quick, property);
    }

    [Fact]
    public void Any_bytes_in_a_string_field_round_trip_byte_exact()
    {
        var bytesGen = Gen.Frequency(
            (3, Gen.Choose(0, 255).Select(b => (byte)b)),
            (2, Gen.Elements(AlwaysInvalidBytes)),
            (1, Gen.Elements<byte>(0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xED, 0xA0, 0xC3, 0xA9))).NonEmptyListOf().Select(b => b.ToArray());
        var property = Prop.ForAll(bytesGen.ToArbitrary(), (byte[] raw) =>
        {
            var input = MessageWithRawSource(raw);
            var decoded = WrpMsgPack.Decode(input);
            Assert.Equal(Convert.ToHexStringLower(input), Convert.ToHexStringLower(WrpMsgPack.Encode(decoded)));
        });
        Check.One(Quick, property);
    }

    [Fact]
    public void Any_bytes_in_any_string_field_behave_like_the_eager_message()
    {
        // Strings of a decoded message are validated and written to msgpack and JSON from their bytes: JSON escaping
        // (Go's, with <, >, &, U+2028/9, controls, invalid bytes) must match the escaping of the created string.
        var special = Gen.Elements<byte[]>(
            "<"u8.ToArray(), ">"u8.ToArray(), "&"u8.ToArray(), "\""u8.ToArray(), "\\"u8.ToArray(), [0x00], [0x08], [0x0C],
            [0x0A], [0x0D], [0x09], [0x1F], [0x7F], "\u2028"u8.ToArray(), "\u2029"u8.ToArray(), "\u00e9"u8.ToArray(),
            "\U0001F600"u8.ToArray(), "\uFFFD"u8.ToArray(), [0xED, 0xA0, 0x80], [0xE2, 0x80], [0xF0, 0x9F, 0x98]);
        var text = Gen.Frequency(
            (3, Gen.Choose(0x20, 0x7E).Select(b => new[] { (byte)b })),
            (3, special),
            (1, Gen.Elements(AlwaysInvalidBytes).Select(b => new[] { b })),
            (1, Gen.Choose(0, 255).Select(b => new[] { (byte)b }))).ListOf().Select(pieces => pieces.SelectMany(p => p).ToArray());
        var fields = Gen.Zip(text.Three(), text.Two(), (a, b) => new[] { a.Item1, a.Item2, a.Item3, b.Item1, b.Item2 });
        var property = Prop.ForAll(fields.ToArbitrary(), (byte[][] raw) =>
        {
            var buffer = new ArrayBufferWriter<byte>();
            var writer = new MessagePackWriter(buffer);
            writer.WriteMapHeader(6);
            writer.WriteString("msg_type"u8);
            writer.Write(5);
            writer.WriteString("source"u8);
            writer.WriteString(raw[0]);
            writer.WriteString("headers"u8);
            writer.WriteArrayHeader(2);
            writer.WriteString(raw[1]);
            writer.WriteString(raw[2]);
            writer.WriteString("metadata"u8);
            writer.WriteMapHeader(1);
            writer.WriteString(raw[3]);
            writer.WriteString(raw[4]);
            writer.WriteString("session_id"u8);
            writer.WriteString(raw[4]);
            writer.WriteString("qos"u8);
            writer.Write(0);
            writer.Flush();
            WrpMsgPackLazyTests.AssertBehavesLikeEager(buffer.WrittenSpan.ToArray());
        });
        Check.One(Quick, property);
    }

    /// <summary>What decoding gives back: empty headers, partner ids and payload become null (wrp-go decodes 90 and c4 00 to nil).</summary>
    private static WrpMessage Normalise(WrpMessage m) => new()
    {
        Type = m.Type,
        Source = m.Source,
        Destination = m.Destination,
        TransactionUuid = m.TransactionUuid,
        ContentType = m.ContentType,
        Accept = m.Accept,
        Status = m.Status,
        RequestDeliveryResponse = m.RequestDeliveryResponse,
        Headers = m.Headers is { Count: > 0 } ? m.Headers : null,
        Metadata = m.Metadata,
        Path = m.Path,
        Payload = m.Payload is { Length: > 0 } ? m.Payload : null,
        ServiceName = m.ServiceName,
        Url = m.Url,
        PartnerIds = m.PartnerIds is { Count: > 0 } ? m.PartnerIds : null,
        SessionId = m.SessionId,
        QualityOfService = m.QualityOfService,
    };

    /// <summary><c>{msg_type: 4, source: str(raw)}</c> written with MessagePackWriter.</summary>
    private static byte[] MessageWithRawSource(byte[] raw)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(3);
        writer.WriteString("msg_type"u8);
        writer.Write(4);
        writer.WriteString("source"u8);
        writer.WriteString(raw);
        writer.WriteString("qos"u8);
        writer.Write(0);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static Gen<WrpMessage> Messages() => WrpMessageGen.Messages(
        Gen.Frequency((9, Gen.Choose(2, 11).Select(t => (long)t)), (1, Longs())),
        Text(),
        Nullable(Longs()),
        StringLists(),
        Maps(),
        Payloads(),
        Gen.Frequency((3, Gen.Choose(0, 99).Select(q => (long)q)), (1, Longs())));

    /// <summary>Edge values of every msgp integer width plus random 64-bit values.</summary>
    private static Gen<long> Longs() => Gen.Frequency(
        (2, Gen.Elements(
            0L, 1L, -1L, 127L, 128L, -32L, -33L, 255L, 256L, -128L, -129L, 32767L, 32768L, -32768L, -32769L,
            65535L, 65536L, int.MaxValue, int.MaxValue + 1L, int.MinValue, int.MinValue - 1L, long.MaxValue, long.MinValue)),
        (1, Gen.Choose(-100000, 100000).Select(v => (long)v)),
        (1, Gen.Choose(int.MinValue, int.MaxValue).Two().Select(p => ((long)p.Item1 << 32) | (uint)p.Item2)));

    private static Gen<long?> Nullable(Gen<long> values) =>
        Gen.Frequency((1, Gen.Constant<long?>(null)), (1, values.Select(v => (long?)v)));

    /// <summary>
    /// Strings a decoder can produce: any code point (ASCII, controls, 2/3-byte, astral) plus surrogate escapes of
    /// bytes that are invalid wherever they stand; sometimes empty, sometimes longer than 255 or 65535 bytes.
    /// </summary>
    private static Gen<string> Text()
    {
        var piece = Gen.Frequency(
            (12, Gen.Choose(0x20, 0x7E).Select(c => ((char)c).ToString())),
            (1, Gen.Choose(0x00, 0x1F).Select(c => ((char)c).ToString())),
            (3, Gen.Choose(0x80, 0x7FF).Select(c => ((char)c).ToString())),
            (3, Gen.Choose(0x800, 0xFFFF).Where(c => c is < 0xD800 or > 0xDFFF).Select(c => ((char)c).ToString())),
            (2, Gen.Choose(0x10000, 0x10FFFF).Select(char.ConvertFromUtf32)),
            (1, Gen.Elements(AlwaysInvalidBytes).Select(b => ((char)(0xDC00 + b)).ToString())));
        var normal = piece.ListOf().Select(pieces => string.Concat(pieces));
        var longText = Gen.Choose(200, 70000).SelectMany(n => Gen.Choose(0x20, 0x7E).Select(c => new string((char)c, n)));
        return Gen.Frequency((4, Gen.Constant(string.Empty)), (12, normal), (1, longText));
    }

    private static Gen<IReadOnlyList<string>?> StringLists() => Gen.Frequency(
        (2, Gen.Constant<IReadOnlyList<string>?>(null)),
        (1, Gen.Constant<IReadOnlyList<string>?>(Array.Empty<string>())),
        (4, Text().ArrayOf().Select(a => (IReadOnlyList<string>?)a)),
        (1, Gen.Choose(16, 40).SelectMany(n => Text().ArrayOf(n)).Select(a => (IReadOnlyList<string>?)a)));

    private static Gen<IReadOnlyDictionary<string, string>?> Maps() => Gen.Frequency(
        (2, Gen.Constant<IReadOnlyDictionary<string, string>?>(null)),
        (1, Gen.Constant<IReadOnlyDictionary<string, string>?>(new Dictionary<string, string>())),
        (4, Text().Two().ListOf().Select(pairs => WrpMessageGen.Map(pairs.Select(p => (p.Item1, p.Item2))))));

    private static Gen<byte[]?> Payloads() => Gen.Frequency(
        (2, Gen.Constant<byte[]?>(null)),
        (1, Gen.Constant<byte[]?>([])),
        (4, Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf().Select(a => (byte[]?)a)),
        (1, Gen.Zip(Gen.Choose(256, 70000), Gen.Choose(0, int.MaxValue), (n, seed) =>
        {
            // Large payloads come from a seeded Random so that FsCheck's seed still reproduces them.
            var bytes = new byte[n];
            new Random(seed).NextBytes(bytes);
            return (byte[]?)bytes;
        })));
}
