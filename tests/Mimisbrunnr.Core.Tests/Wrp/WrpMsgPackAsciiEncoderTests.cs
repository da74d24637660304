using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using MessagePack;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>
/// The encoder's ASCII fast path (<see cref="WrpMsgPackAsciiEncoder"/>) writes exactly the bytes of the general path
/// (<see cref="WrpMsgPackEncoder"/>), and declines, without committing anything, whatever it does not handle.
/// </summary>
public class WrpMsgPackAsciiEncoderTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(1000).WithEndSize(50);

    public static TheoryData<string> Positions =>
        ["source", "dest", "transaction_uuid", "content_type", "accept", "path", "service_name", "url", "session_id",
            "header", "partner_id", "metadata_key", "metadata_value"];

    [Fact]
    public void Every_field_kind_gives_the_general_paths_bytes()
    {
        var message = Full("x");
        Assert.True(WrpMsgPackAsciiEncoder.TryWrite(message, new ArrayBufferWriter<byte>()));
        AssertFastEqualsGeneral(message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(20_000)]
    public void String_lengths_around_every_header_width_give_the_same_bytes(int length)
    {
        // 20,000 chars in each of three strings: str16 headers, a message still under the fast path's limit.
        var text = new string('a', length);
        AssertFastEqualsGeneral(new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = text,
            Headers = [text],
            Metadata = new Dictionary<string, string> { ["k"] = text },
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(50_000)]
    public void Payload_and_collection_sizes_give_the_same_bytes(int length)
    {
        var count = Math.Min(length, 300);
        AssertFastEqualsGeneral(new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Payload = new byte[length],
            Headers = [.. Enumerable.Range(0, count).Select(i => $"h{i}")],
            PartnerIds = [.. Enumerable.Range(0, count).Select(i => $"p{i}")],
            Metadata = Enumerable.Range(0, count).ToDictionary(i => $"k{i}", i => $"v{i}"),
        });
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(127L)]
    [InlineData(128L)]
    [InlineData(-1L)]
    [InlineData(-32L)]
    [InlineData(-33L)]
    [InlineData(-128L)]
    [InlineData(-129L)]
    [InlineData(32767L)]
    [InlineData(32768L)]
    [InlineData(-32768L)]
    [InlineData(-32769L)]
    [InlineData(2147483647L)]
    [InlineData(2147483648L)]
    [InlineData(-2147483648L)]
    [InlineData(-2147483649L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Integers_of_every_width_give_the_same_bytes(long value)
    {
        AssertFastEqualsGeneral(new WrpMessage
        {
            Type = (MessageType)value,
            Status = value,
            RequestDeliveryResponse = value,
            QualityOfService = value,
        });
    }

    [Fact]
    public void Null_strings_in_collections_and_empty_collections_give_the_same_bytes()
    {
        AssertFastEqualsGeneral(new WrpMessage
        {
            Headers = ["a", null!, string.Empty],
            PartnerIds = [],
            Metadata = new Dictionary<string, string>(),
            Payload = [],
            Status = 0,
        });
        AssertFastEqualsGeneral(new WrpMessage { Metadata = new Dictionary<string, string> { ["k"] = null! } });
    }

    [Fact]
    public void Lists_and_maps_of_other_types_give_the_same_bytes()
    {
        var ordered = new OrderedDictionary<string, string>(StringComparer.Ordinal) { ["b"] = "1", ["a"] = "2" };
        AssertFastEqualsGeneral(new WrpMessage
        {
            Headers = new List<string> { "x", "y" },
            PartnerIds = new List<string> { "p" }.AsReadOnly(),
            Metadata = ordered,
        });
        AssertFastEqualsGeneral(new WrpMessage
        {
            Metadata = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["z"] = "1", ["a"] = "2" }.AsReadOnly(),
        });
    }

    [Theory]
    [MemberData(nameof(Positions))]
    public void A_non_ascii_string_anywhere_declines_without_writing_and_Encode_writes_the_general_bytes(string position)
    {
        foreach (var text in new[] { "é", "caf\u00e9 au lait, long enough for vectors", "\U0001F600", "\uDC80", "a\uD800" })
        {
            var message = Full("ascii", position, text);
            var writer = new ArrayBufferWriter<byte>();
            Assert.False(WrpMsgPackAsciiEncoder.TryWrite(message, writer));
            Assert.Equal(0, writer.WrittenCount);
            Assert.Equal(General(message), WrpMsgPack.Encode(message));
        }
    }

    [Fact]
    public void A_message_over_the_limit_declines_and_Encode_writes_the_general_bytes()
    {
        var message = new WrpMessage { Source = new string('s', WrpMsgPackAsciiEncoder.MaxBytes) };
        var writer = new ArrayBufferWriter<byte>();
        Assert.False(WrpMsgPackAsciiEncoder.TryWrite(message, writer));
        Assert.Equal(0, writer.WrittenCount);
        Assert.Equal(General(message), WrpMsgPack.Encode(message));
    }

    [Fact]
    public void A_decoded_messages_metadata_in_a_new_message_declines()
    {
        var decoded = WrpMsgPack.Decode(WrpMsgPack.Encode(Full("m")));
        var message = new WrpMessage { Metadata = decoded.Metadata };
        Assert.False(WrpMsgPackAsciiEncoder.TryWrite(message, new ArrayBufferWriter<byte>()));
        Assert.Equal(General(message), WrpMsgPack.Encode(message));
    }

    [Fact]
    public void A_writer_that_offers_only_the_room_asked_for_gets_the_same_bytes()
    {
        // The first span (for a lower bound of the size) is too small: the message is written again at its exact size.
        var message = Full("x");
        var writer = new ExactWriter();
        Assert.True(WrpMsgPackAsciiEncoder.TryWrite(message, writer));
        Assert.Equal(2, writer.Spans);
        Assert.Equal(Convert.ToHexStringLower(General(message)), Convert.ToHexStringLower(writer.Written));

        var nonAscii = new ExactWriter();
        Assert.False(WrpMsgPackAsciiEncoder.TryWrite(Full("x", "metadata_value", "é"), nonAscii));
        Assert.Empty(nonAscii.Written);
    }

    [Fact]
    public void A_list_that_grows_between_the_two_passes_declines()
    {
        var message = new WrpMessage { Headers = new GrowingList(["a", "b"]) };
        var writer = new ExactWriter();
        Assert.False(WrpMsgPackAsciiEncoder.TryWrite(message, writer));
        Assert.Empty(writer.Written);
    }

    [Fact]
    public void A_large_message_goes_the_fast_way_when_the_writer_has_the_room()
    {
        var message = new WrpMessage { Source = new string('s', 100_000), Payload = new byte[100_000] };
        var writer = new ArrayBufferWriter<byte>(300_000);
        Assert.True(WrpMsgPackAsciiEncoder.TryWrite(message, writer));
        Assert.Equal(General(message), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Generated_ascii_messages_give_the_general_paths_bytes()
    {
        var property = Prop.ForAll(AsciiMessages().ToArbitrary(), (WrpMessage message) =>
        {
            // A writer with room to spare (one pass), and one that gives only the room asked for (two passes).
            var general = General(message);
            var roomy = new ArrayBufferWriter<byte>(4096);
            Assert.True(WrpMsgPackAsciiEncoder.TryWrite(message, roomy) || general.Length > WrpMsgPackAsciiEncoder.MaxBytes);
            var exact = new ExactWriter();
            Assert.Equal(general.Length <= WrpMsgPackAsciiEncoder.MaxBytes, WrpMsgPackAsciiEncoder.TryWrite(message, exact));
            if (roomy.WrittenCount > 0)
            {
                Assert.Equal(Convert.ToHexStringLower(general), Convert.ToHexStringLower(roomy.WrittenSpan));
            }

            if (exact.Written.Length > 0)
            {
                Assert.Equal(Convert.ToHexStringLower(general), Convert.ToHexStringLower(exact.Written));
            }

            Assert.Equal(general, WrpMsgPack.Encode(message));
        });
        Check.One(Quick, property);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(70)]
    public void TryNarrowAscii_narrows_ascii_and_refuses_any_other_char_at_any_position(int start)
    {
        for (var length = start; length <= start + 70; length++)
        {
            var chars = Enumerable.Range(0, length).Select(i => (char)(0x20 + ((i * 7) % 0x60))).ToArray();
            chars.AsSpan().Replace('\u007f', '\u007e');
            var destination = new byte[length + 3];
            Assert.True(WrpMsgPackUtf8.TryNarrowAscii(chars, destination));
            Assert.Equal(chars.Select(c => (byte)c), destination.Take(length));
            Assert.All(destination.Skip(length), b => Assert.Equal(0, b));

            for (var at = 0; at < length; at++)
            {
                foreach (var other in new[] { '\u0080', '\u00ff', '\u0100', '\u7f80', '\ud800', '\udc80', '\uffff' })
                {
                    var copy = (char[])chars.Clone();
                    copy[at] = other;
                    Assert.False(WrpMsgPackUtf8.TryNarrowAscii(copy, new byte[length]));
                }

                var del = (char[])chars.Clone();
                del[at] = '\u007f';
                Assert.True(WrpMsgPackUtf8.TryNarrowAscii(del, new byte[length]));
            }
        }

        Assert.Throws<ArgumentException>(() => WrpMsgPackUtf8.TryNarrowAscii("abc", new byte[2]));
    }

    /// <summary>A message with every field set to ASCII text, one position optionally set to <paramref name="other"/>.</summary>
    private static WrpMessage Full(string text, string position = "", string other = "") => new()
    {
        Type = MessageType.SimpleRequestResponse,
        Source = position == "source" ? other : $"mac:112233445566/{text}",
        Destination = position == "dest" ? other : $"event:device-status/{text}",
        TransactionUuid = position == "transaction_uuid" ? other : "60dfdf5b-98c5-4e91-95fd-1fa6cb114cf5",
        ContentType = position == "content_type" ? other : "application/json",
        Accept = position == "accept" ? other : "application/msgpack",
        Status = 200,
        RequestDeliveryResponse = -1,
        Headers = ["key1:value1", position == "header" ? other : text],
        Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["/key/1"] = "value1",
            [position == "metadata_key" ? other : "/key/2"] = position == "metadata_value" ? other : text,
        },
        Path = position == "path" ? other : "/a/b",
        Payload = "{\"key\": \"hello world\"}"u8.ToArray(),
        ServiceName = position == "service_name" ? other : "svc",
        Url = position == "url" ? other : "http://127.0.0.1/x",
        PartnerIds = [position == "partner_id" ? other : "partner1", "partner2"],
        SessionId = position == "session_id" ? other : "1234",
        QualityOfService = 42,
    };

    private static byte[] General(WrpMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        WrpMsgPackEncoder.Write(ref writer, message);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void AssertFastEqualsGeneral(WrpMessage message)
    {
        var writer = new ArrayBufferWriter<byte>(1);
        Assert.True(WrpMsgPackAsciiEncoder.TryWrite(message, writer));
        Assert.Equal(Convert.ToHexStringLower(General(message)), Convert.ToHexStringLower(writer.WrittenSpan));
    }

    private static Gen<WrpMessage> AsciiMessages()
    {
        var ascii = Gen.Choose(0, 0x7F).Select(c => (char)c).ArrayOf().Select(c => new string(c));
        var longAscii = Gen.Choose(0, 300).SelectMany(n => Gen.Choose(0x20, 0x7E).Select(c => new string((char)c, n)));
        var text = Gen.Frequency((3, Gen.Constant(string.Empty)), (10, ascii), (2, longAscii));
        var numbers = Gen.Elements(0L, 1L, -1L, 127L, 128L, -33L, -129L, 32768L, -32769L, int.MinValue - 1L, long.MaxValue);
        var lists = Gen.Frequency(
            (1, Gen.Constant<IReadOnlyList<string>?>(null)),
            (3, text.ArrayOf().Select(a => (IReadOnlyList<string>?)a)),
            (1, Gen.Choose(16, 20).SelectMany(n => text.ArrayOf(n)).Select(a => (IReadOnlyList<string>?)a)));
        var maps = Gen.Frequency(
            (1, Gen.Constant<IReadOnlyDictionary<string, string>?>(null)),
            (3, text.Two().ListOf().Select(pairs => WrpMessageGen.Map(pairs.Select(p => (p.Item1, p.Item2))))));
        var payloads = Gen.Frequency(
            (1, Gen.Constant<byte[]?>(null)),
            (3, Gen.Choose(0, 300).Select(n => (byte[]?)new byte[n])));
        return WrpMessageGen.Messages(numbers, text, numbers.Select(v => (long?)v), lists, maps, payloads, numbers);
    }

    /// <summary>A writer whose spans are exactly as long as asked for (a fresh one each time).</summary>
    private sealed class ExactWriter : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _span = [];

        public int Spans { get; private set; }

        public byte[] Written => [.. _written];

        public void Advance(int count) => _written.AddRange(_span.AsSpan(0, count));

        public Memory<byte> GetMemory(int sizeHint = 0) => Next(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Next(sizeHint).Span;

        private Memory<byte> Next(int sizeHint)
        {
            Spans++;
            _span = new byte[Math.Max(sizeHint, 1)];
            return _span;
        }
    }

    /// <summary>A list whose count goes up by one each time it is read (a caller mutating it while encoding).</summary>
    private sealed class GrowingList(List<string> items) : IReadOnlyList<string>
    {
        private int _reads;

        public int Count => items.Count + _reads++;

        public string this[int index] => index < items.Count ? items[index] : "z";

        public IEnumerator<string> GetEnumerator() => items.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
