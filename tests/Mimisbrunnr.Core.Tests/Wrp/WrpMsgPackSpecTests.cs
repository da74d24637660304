using System.Buffers;
using System.Text;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>
/// The codec's own vectors, derived by hand from SPEC.md §2 (and wrp-go's example_test.go), so that a fresh clone
/// without the shared folder still tests the wire format.
/// </summary>
public class WrpMsgPackSpecTests
{
    [Fact]
    public void Service_alive_is_the_smallest_message()
    {
        var message = new WrpMessage { Type = MessageType.ServiceAlive };
        AssertEncodes(message, SpecVectors.ServiceAlive);
        Assert.Equal(message, WrpMsgPack.Decode(SpecVectors.ServiceAlive));
    }

    [Fact]
    public void Simple_event_matches_wrp_go_example_test()
    {
        var message = new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = "self:",
            Destination = "event:status",
            Payload = "hello"u8.ToArray(),
        };
        AssertEncodes(message, SpecVectors.SimpleEventExample);
        Assert.Equal(message, WrpMsgPack.Decode(SpecVectors.SimpleEventExample));
    }

    [Fact]
    public void Every_field_is_written_in_wrp_go_key_order()
    {
        var message = new WrpMessage
        {
            Type = MessageType.Create,
            Source = "s",
            Destination = "d",
            TransactionUuid = "t",
            ContentType = "c",
            Accept = "a",
            Status = 0,
            RequestDeliveryResponse = 0,
            Headers = ["h"],
            Metadata = new Dictionary<string, string> { ["k"] = "v" },
            Path = "p",
            Payload = [1],
            ServiceName = "n",
            Url = "u",
            PartnerIds = ["x"],
            SessionId = "i",
            QualityOfService = 99,
        };
        AssertEncodes(message, SpecVectors.AllFields);
        Assert.Equal(message, WrpMsgPack.Decode(SpecVectors.AllFields));
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(127L, "7f")]
    [InlineData(128L, "d10080")]
    [InlineData(200L, "d100c8")]
    [InlineData(255L, "d100ff")]
    [InlineData(32767L, "d17fff")]
    [InlineData(32768L, "d200008000")]
    [InlineData(40000L, "d200009c40")]
    [InlineData(2147483647L, "d27fffffff")]
    [InlineData(2147483648L, "d30000000080000000")]
    [InlineData(long.MaxValue, "d37fffffffffffffff")]
    [InlineData(-1L, "ff")]
    [InlineData(-32L, "e0")]
    [InlineData(-33L, "d0df")]
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(-1234L, "d1fb2e")]
    [InlineData(-32768L, "d18000")]
    [InlineData(-32769L, "d2ffff7fff")]
    [InlineData(-2147483648L, "d280000000")]
    [InlineData(-2147483649L, "d3ffffffff7fffffff")]
    [InlineData(long.MinValue, "d38000000000000000")]
    public void Integers_use_msgp_signed_families(long value, string encoded)
    {
        // status, rdr, msg_type and qos all use AppendInt64.
        var message = new WrpMessage
        {
            Type = (MessageType)value,
            Status = value,
            RequestDeliveryResponse = value,
            QualityOfService = value,
        };
        var expected = $"84 {SpecVectors.KMsgType} {encoded} {SpecVectors.KStatus} {encoded} {SpecVectors.KRdr} {encoded} {SpecVectors.KQos} {encoded}";
        AssertEncodes(message, SpecVectors.Hex(expected));
        Assert.Equal(message, WrpMsgPack.Decode(SpecVectors.Hex(expected)));
    }

    [Theory]
    [InlineData("cc04", 4L)]
    [InlineData("cd0004", 4L)]
    [InlineData("ce00000004", 4L)]
    [InlineData("cf0000000000000004", 4L)]
    [InlineData("cf7fffffffffffffff", long.MaxValue)]
    [InlineData("d004", 4L)]
    [InlineData("d0ff", -1L)]
    [InlineData("d3ffffffffffffffff", -1L)]
    public void Integers_accept_every_int_family(string encoded, long value)
    {
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} {encoded} {SpecVectors.KQos} {encoded}");
        var message = WrpMsgPack.Decode(input);
        Assert.Equal((MessageType)value, message.Type);
        Assert.Equal(value, message.QualityOfService);
    }

    [Theory]
    [InlineData("cf8000000000000000", "larger than the int64 maximum")]
    [InlineData("cfffffffffffffffff", "larger than the int64 maximum")]
    [InlineData("ca40800000", "expected an integer, found a float (0xca)")]
    [InlineData("cb4010000000000000", "expected an integer, found a float (0xcb)")]
    [InlineData("c0", "expected an integer, found nil (0xc0)")]
    [InlineData("a134", "expected an integer, found str (0xa1)")]
    [InlineData("c3", "expected an integer, found a bool (0xc3)")]
    public void Msg_type_rejects_non_integers_and_overflow(string encoded, string reason)
    {
        var input = SpecVectors.Hex($"81 {SpecVectors.KMsgType} {encoded}");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Contains("field \"msg_type\"", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(10, error.Offset);
    }

    [Fact]
    public void Status_above_int64_is_an_overflow_error()
    {
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 03 {SpecVectors.KStatus} cf8000000000000000");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Contains("field \"status\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nil_status_and_rdr_mean_absent()
    {
        var input = SpecVectors.Hex($"83 {SpecVectors.KMsgType} 03 {SpecVectors.KStatus} c0 {SpecVectors.KRdr} c0");
        var message = WrpMsgPack.Decode(input);
        Assert.Null(message.Status);
        Assert.Null(message.RequestDeliveryResponse);
        Assert.Equal(SpecVectors.Hex($"82 {SpecVectors.KMsgType} 03 {SpecVectors.KQos} 00"), WrpMsgPack.Encode(message));
    }

    [Fact]
    public void Zero_status_and_rdr_are_written()
    {
        var message = new WrpMessage { Type = MessageType.SimpleRequestResponse, Status = 0, RequestDeliveryResponse = 0 };
        AssertEncodes(message, SpecVectors.Hex($"84 {SpecVectors.KMsgType} 03 {SpecVectors.KStatus} 00 {SpecVectors.KRdr} 00 {SpecVectors.KQos} 00"));
    }

    [Fact]
    public void Empty_headers_and_partner_ids_are_written_as_empty_arrays_and_decode_to_null()
    {
        var message = new WrpMessage { Type = MessageType.SimpleEvent, Headers = [], PartnerIds = [] };
        var expected = SpecVectors.Hex($"84 {SpecVectors.KMsgType} 04 {SpecVectors.KHeaders} 90 {SpecVectors.KPartnerIds} 90 {SpecVectors.KQos} 00");
        AssertEncodes(message, expected);
        var decoded = WrpMsgPack.Decode(expected);
        Assert.Null(decoded.Headers);
        Assert.Null(decoded.PartnerIds);
    }

    [Fact]
    public void Empty_metadata_is_written_as_an_empty_map_and_stays_empty()
    {
        var message = new WrpMessage { Type = MessageType.SimpleEvent, Metadata = new Dictionary<string, string>() };
        var expected = SpecVectors.Hex($"83 {SpecVectors.KMsgType} 04 {SpecVectors.KMetadata} 80 {SpecVectors.KQos} 00");
        AssertEncodes(message, expected);
        var decoded = WrpMsgPack.Decode(expected);
        Assert.NotNull(decoded.Metadata);
        Assert.Empty(decoded.Metadata);
        Assert.Equal(expected, WrpMsgPack.Encode(decoded));
    }

    [Fact]
    public void Empty_payload_is_written_as_empty_bin_and_decodes_to_null()
    {
        var message = new WrpMessage { Type = MessageType.SimpleEvent, Payload = [] };
        var expected = SpecVectors.Hex($"83 {SpecVectors.KMsgType} 04 {SpecVectors.KPayload} c400 {SpecVectors.KQos} 00");
        AssertEncodes(message, expected);
        Assert.Null(WrpMsgPack.Decode(expected).Payload);
    }

    [Theory]
    [InlineData(1, "c401")]
    [InlineData(255, "c4ff")]
    [InlineData(256, "c50100")]
    [InlineData(65535, "c5ffff")]
    [InlineData(65536, "c600010000")]
    public void Payload_is_always_bin(int length, string header)
    {
        var payload = new byte[length];
        new Random(length).NextBytes(payload);
        var message = new WrpMessage { Type = MessageType.SimpleEvent, ContentType = "text/plain", Payload = payload };
        var expected = SpecVectors.Concat(
            SpecVectors.Hex($"84 {SpecVectors.KMsgType} 04 {SpecVectors.KContentType} aa 746578742f706c61696e {SpecVectors.KPayload} {header}"),
            payload,
            SpecVectors.Hex($"{SpecVectors.KQos} 00"));
        AssertEncodes(message, expected);
        Assert.Equal(message, WrpMsgPack.Decode(expected));
    }

    [Theory]
    [InlineData(0, "a0")]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")]
    [InlineData(65535, "daffff")]
    [InlineData(65536, "db00010000")]
    public void Strings_use_fixstr_str8_str16_str32_by_byte_length(int length, string header)
    {
        var text = new string('x', length);
        var message = new WrpMessage { Type = MessageType.SimpleEvent, Headers = [text] };
        var expected = SpecVectors.Concat(
            SpecVectors.Hex($"83 {SpecVectors.KMsgType} 04 {SpecVectors.KHeaders} 91 {header}"),
            Encoding.ASCII.GetBytes(text),
            SpecVectors.Hex($"{SpecVectors.KQos} 00"));
        AssertEncodes(message, expected);
        Assert.Equal(message, WrpMsgPack.Decode(expected));
    }

    [Fact]
    public void Strings_count_utf8_bytes_not_chars()
    {
        // 15 chars (14 code points), 32 UTF-8 bytes: str8, not fixstr.
        var text = "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\U0001F600\u20ac\u20ac";
        Assert.Equal(32, Encoding.UTF8.GetByteCount(text));
        var message = new WrpMessage { Type = MessageType.SimpleEvent, Source = text };
        var expected = SpecVectors.Concat(
            SpecVectors.Hex($"83 {SpecVectors.KMsgType} 04 {SpecVectors.KSource} d920"),
            Encoding.UTF8.GetBytes(text),
            SpecVectors.Hex($"{SpecVectors.KQos} 00"));
        AssertEncodes(message, expected);
        Assert.Equal(message, WrpMsgPack.Decode(expected));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(341)]
    [InlineData(342)]
    [InlineData(40000)]
    public void Non_ascii_and_escaped_strings_of_any_length_round_trip(int repeat)
    {
        // Short strings take the scratch-buffer path, long ones (over 341 chars) the scan-then-write path.
        var text = string.Concat(Enumerable.Repeat("\u00e9", repeat));
        var escaped = string.Concat(Enumerable.Repeat("a\uDCFF", repeat));
        var message = new WrpMessage { Type = MessageType.SimpleEvent, Source = text, Destination = escaped };
        var bytes = WrpMsgPack.Encode(message);
        var expectedSource = Encoding.UTF8.GetBytes(text);
        var expectedDest = Enumerable.Repeat<byte[]>([0x61, 0xff], repeat).SelectMany(b => b).ToArray();
        Assert.True(bytes.AsSpan().IndexOf(expectedSource) > 0);
        Assert.True(bytes.AsSpan().IndexOf(expectedDest) > 0);
        Assert.Equal(message, WrpMsgPack.Decode(bytes));
    }

    [Fact]
    public void Larger_collections_use_16_and_32_bit_headers()
    {
        var sixteen = Enumerable.Range(0, 16).Select(i => ((char)('a' + i)).ToString()).ToArray();
        var message = new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Headers = sixteen,
            Metadata = sixteen.ToDictionary(s => s, s => s),
        };
        var bytes = WrpMsgPack.Encode(message);
        var text = Convert.ToHexStringLower(bytes);
        Assert.Contains(SpecVectors.KHeaders + "dc0010a161a162", text, StringComparison.Ordinal);
        Assert.Contains(SpecVectors.KMetadata + "de0010a161a161a162a162", text, StringComparison.Ordinal);
        Assert.Equal(message, WrpMsgPack.Decode(bytes));
    }

    [Fact]
    public void Keys_may_be_bin()
    {
        var input = SpecVectors.Hex("83 c4086d73675f7479706504 c406736f75726365 a5 73656c663a c40464657374 a7 6576656e743a78");
        var message = WrpMsgPack.Decode(input);
        Assert.Equal(new WrpMessage { Type = MessageType.SimpleEvent, Source = "self:", Destination = "event:x" }, message);
    }

    [Theory]
    [InlineData("01", "expected str or bin, found an integer (0x01)")]
    [InlineData("c0", "expected str or bin, found nil (0xc0)")]
    [InlineData("90", "expected str or bin, found an array (0x90)")]
    public void Keys_must_be_str_or_bin(string key, string reason)
    {
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 04 {key} 00");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Contains("map key: " + reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(11, error.Offset);
    }

    [Fact]
    public void Keys_are_case_sensitive()
    {
        var input = SpecVectors.Hex("81 a84d53475f54595045 04");
        Assert.Equal(MessageType.Invalid0, WrpMsgPack.Decode(input).Type);
    }

    [Fact]
    public void Unknown_keys_are_skipped_whatever_their_type()
    {
        // spans: [["hop-1", 123000044, 11]], include_spans: true, msg_id: "abc", x: {1: [1.5, nil, ext]}, y: bin
        var input = SpecVectors.Hex(
            $"87 {SpecVectors.KMsgType} 04 a57370616e739193a5686f702d31ce0754d4ec0b ad696e636c7564655f7370616e73c3 a66d73675f6964a3616263 " +
            "a178 81 01 93 cb3ff8000000000000 c0 d40102 a179 c40201ff " + $"{SpecVectors.KSource} a5 73656c663a");
        var message = WrpMsgPack.Decode(input, out var consumed);
        Assert.Equal(new WrpMessage { Type = MessageType.SimpleEvent, Source = "self:" }, message);
        Assert.Equal(input.Length, consumed);
    }

    [Fact]
    public void Duplicate_keys_keep_the_last_value()
    {
        var input = SpecVectors.Hex($"83 {SpecVectors.KSource} a161 {SpecVectors.KMsgType} 04 {SpecVectors.KSource} a162");
        Assert.Equal("b", WrpMsgPack.Decode(input).Source);
    }

    [Fact]
    public void A_repeated_empty_collection_after_a_non_empty_one_stays_non_null_as_in_go()
    {
        // wrp-go reuses the slice (z.Headers[:0]) and the scratch payload, so the second, empty value is non-nil.
        var input = SpecVectors.Hex(
            $"86 {SpecVectors.KMsgType} 04 {SpecVectors.KHeaders} 91a161 {SpecVectors.KHeaders} 90 " +
            $"{SpecVectors.KPayload} c40101 {SpecVectors.KPayload} c400 {SpecVectors.KPartnerIds} 90");
        var message = WrpMsgPack.Decode(input);
        Assert.NotNull(message.Headers);
        Assert.Empty(message.Headers);
        Assert.NotNull(message.Payload);
        Assert.Empty(message.Payload);
        Assert.Null(message.PartnerIds);
    }

    [Fact]
    public void Repeated_metadata_replaces_the_earlier_map()
    {
        var input = SpecVectors.Hex($"83 {SpecVectors.KMsgType} 04 {SpecVectors.KMetadata} 81a161a131 {SpecVectors.KMetadata} 81a162a132");
        var metadata = WrpMsgPack.Decode(input).Metadata;
        Assert.NotNull(metadata);
        Assert.Equal([new KeyValuePair<string, string>("b", "2")], metadata);
    }

    [Fact]
    public void Metadata_keeps_wire_order_and_the_last_value_of_a_repeated_key()
    {
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 04 {SpecVectors.KMetadata} 84 a17a a131 a161 a132 a16d a133 a17a a134");
        var metadata = WrpMsgPack.Decode(input).Metadata;
        Assert.NotNull(metadata);
        Assert.Equal(["z", "a", "m"], metadata.Keys);
        Assert.Equal("4", metadata["z"]);

        // And the encoder writes it back in that order.
        var reencoded = Convert.ToHexStringLower(WrpMsgPack.Encode(WrpMsgPack.Decode(input)));
        Assert.Contains($"{SpecVectors.KMetadata}83a17aa134a161a132a16da133", reencoded, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a2 6e33 c0", "field \"metadata\", value of key \"n3\": expected str, found nil (0xc0)")]
    [InlineData("c0 a0", "field \"metadata\": expected str, found nil (0xc0)")]
    [InlineData("01 a0", "field \"metadata\": expected str, found an integer (0x01)")]
    [InlineData("a2 6e33 c40131", "field \"metadata\", value of key \"n3\": expected str, found bin (0xc4)")]
    public void Metadata_must_map_str_to_str(string entry, string reason)
    {
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 04 {SpecVectors.KMetadata} 81 {entry}");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c0", "expected an array of str, found nil (0xc0)")]
    [InlineData("92 a161 c0", "expected str, found nil (0xc0)")]
    [InlineData("91 c40161", "expected str, found bin (0xc4)")]
    [InlineData("a161", "expected an array of str, found str (0xa1)")]
    public void Headers_must_be_an_array_of_str(string value, string reason)
    {
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 04 {SpecVectors.KHeaders} {value}");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Contains("field \"headers\": " + reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a568656c6c6f", "expected bin, found str (0xa5)")]
    [InlineData("c0", "expected bin, found nil (0xc0)")]
    [InlineData("90", "expected bin, found an array (0x90)")]
    public void Payload_must_be_bin(string value, string reason)
    {
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 04 {SpecVectors.KPayload} {value}");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Equal($"WRP msgpack: field \"payload\": {reason} (at byte offset 19)", error.Message);
        Assert.Equal(19, error.Offset);
    }

    [Theory]
    [InlineData("c0", "expected str, found nil (0xc0)")]
    [InlineData("c40161", "expected str, found bin (0xc4)")]
    [InlineData("01", "expected str, found an integer (0x01)")]
    public void Strings_must_be_str(string value, string reason)
    {
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 04 {SpecVectors.KPath} {value}");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Contains("field \"path\": " + reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("9204a161", "expected a map, found an array (0x92)")]
    [InlineData("a161", "expected a map, found str (0xa1)")]
    [InlineData("c0", "expected a map, found nil (0xc0)")]
    [InlineData("", "the input is empty")]
    public void The_top_level_must_be_a_map(string input, string reason)
    {
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(SpecVectors.Hex(input)));
        Assert.Equal($"WRP msgpack: top-level map: {reason} (at byte offset 0)", error.Message);
    }

    [Fact]
    public void Map16_and_map32_top_level_headers_are_accepted()
    {
        var body = $"{SpecVectors.KMsgType} 0a";
        Assert.Equal(MessageType.ServiceAlive, WrpMsgPack.Decode(SpecVectors.Hex("de0001 " + body)).Type);
        Assert.Equal(MessageType.ServiceAlive, WrpMsgPack.Decode(SpecVectors.Hex("df00000001 " + body)).Type);
    }

    [Fact]
    public void An_empty_map_decodes_to_type_zero()
    {
        var message = WrpMsgPack.Decode([0x80]);
        Assert.Equal(new WrpMessage(), message);
        AssertEncodes(message, SpecVectors.Hex($"82 {SpecVectors.KMsgType} 00 {SpecVectors.KQos} 00"));
    }

    [Fact]
    public void Every_truncation_of_a_message_is_rejected()
    {
        foreach (var vector in new[] { SpecVectors.AllFields, SpecVectors.SimpleEventExample })
        {
            for (var length = 0; length < vector.Length; length++)
            {
                var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(vector.AsSpan(0, length)));
                Assert.NotNull(error.Offset);
                Assert.InRange(error.Offset.Value, 0, length);
            }
        }
    }

    [Fact]
    public void Truncated_value_names_the_field_and_offset()
    {
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 04 {SpecVectors.KSource} a5 73656c66");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Equal("WRP msgpack: field \"source\": the input ends before the value is complete (at byte offset 18)", error.Message);
    }

    [Fact]
    public void Trailing_bytes_are_ignored_and_reported_by_the_consumed_count()
    {
        var input = SpecVectors.Concat(SpecVectors.ServiceAlive, [0xc0, 0xc0]);
        Assert.Equal(MessageType.ServiceAlive, WrpMsgPack.Decode(input).Type);
        WrpMsgPack.Decode(input, out int consumed);
        Assert.Equal(SpecVectors.ServiceAlive.Length, consumed);
        WrpMsgPack.Decode(new ReadOnlySequence<byte>(input), out long consumedLong);
        Assert.Equal(SpecVectors.ServiceAlive.Length, consumedLong);
    }

    [Fact]
    public void Invalid_utf8_round_trips_byte_exact()
    {
        // a1 bf (a lone continuation byte), then a string mixing valid text, invalid bytes and a truncated sequence.
        var input = SpecVectors.Hex(
            $"84 {SpecVectors.KMsgType} 04 {SpecVectors.KTransactionUuid} a1bf " +
            $"{SpecVectors.KHeaders} 91 ac 61ff62c0e282f09f9880e282 {SpecVectors.KQos} 00");
        var message = WrpMsgPack.Decode(input);
        Assert.Equal("\uDCBF", message.TransactionUuid);
        Assert.Equal("a\uDCFFb\uDCC0\uDCE2\uDC82\U0001F600\uDCE2\uDC82", Assert.Single(message.Headers!));
        Assert.Equal(input, WrpMsgPack.Encode(message));
    }

    [Fact]
    public void Lone_surrogates_that_are_not_escapes_are_written_as_replacement_characters()
    {
        var message = new WrpMessage { Type = MessageType.SimpleEvent, Source = "a\uD800b\uDC41\uDFFF" };
        var expected = SpecVectors.Hex($"83 {SpecVectors.KMsgType} 04 {SpecVectors.KSource} ab 61efbfbd62efbfbdefbfbd {SpecVectors.KQos} 00");
        AssertEncodes(message, expected);
    }

    [Fact]
    public void Multi_segment_sequences_decode_like_contiguous_input()
    {
        foreach (var vector in SpecVectors.All)
        {
            var expected = WrpMsgPack.Decode(vector, out int consumed);
            var actual = WrpMsgPack.Decode(SpecVectors.Segmented(vector, 1), out long consumedLong);
            Assert.Equal(expected, actual);
            Assert.Equal(consumed, consumedLong);
            Assert.Equal(expected, WrpMsgPack.Decode(SpecVectors.Segmented(vector, 7), out _));
        }
    }

    [Fact]
    public void Encode_into_a_buffer_writer_appends()
    {
        var writer = new ArrayBufferWriter<byte>();
        writer.Write<byte>([0xc0]);
        WrpMsgPack.Encode(new WrpMessage { Type = MessageType.ServiceAlive }, writer);
        Assert.Equal(SpecVectors.Concat([0xc0], SpecVectors.ServiceAlive), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Encode_allocates_nothing_into_a_reused_buffer_writer()
    {
        var message = SpecVectors.BenchmarkMessage();
        var ordered = new WrpMessage
        {
            Type = message.Type,
            Source = message.Source,
            Metadata = new OrderedDictionary<string, string>(message.Metadata!),
            Headers = new List<string> { "a", "b" },
        };
        var writer = new ArrayBufferWriter<byte>(4096);
        for (var i = 0; i < 100; i++)
        {
            writer.ResetWrittenCount();
            WrpMsgPack.Encode(message, writer);
            WrpMsgPack.Encode(ordered, writer);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            writer.ResetWrittenCount();
            WrpMsgPack.Encode(message, writer);
            WrpMsgPack.Encode(ordered, writer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Encode_to_array_allocates_only_the_array()
    {
        var message = SpecVectors.BenchmarkMessage();
        var expectedLength = WrpMsgPack.Encode(message).Length;
        for (var i = 0; i < 10; i++)
        {
            _ = WrpMsgPack.Encode(message);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var bytes = WrpMsgPack.Encode(message);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(expectedLength, bytes.Length);
        Assert.InRange(allocated, expectedLength, expectedLength + 32);
    }

    [Fact]
    public void Key_constants_are_fixstr_names()
    {
        Assert.Equal(SpecVectors.Hex(SpecVectors.KMsgType), WrpMsgPackKeys.MsgType.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KSource), WrpMsgPackKeys.Source.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KDest), WrpMsgPackKeys.Dest.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KTransactionUuid), WrpMsgPackKeys.TransactionUuid.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KContentType), WrpMsgPackKeys.ContentType.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KAccept), WrpMsgPackKeys.Accept.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KStatus), WrpMsgPackKeys.Status.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KRdr), WrpMsgPackKeys.Rdr.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KHeaders), WrpMsgPackKeys.Headers.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KMetadata), WrpMsgPackKeys.Metadata.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KPath), WrpMsgPackKeys.Path.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KPayload), WrpMsgPackKeys.Payload.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KServiceName), WrpMsgPackKeys.ServiceName.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KUrl), WrpMsgPackKeys.Url.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KPartnerIds), WrpMsgPackKeys.PartnerIds.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KSessionId), WrpMsgPackKeys.SessionId.ToArray());
        Assert.Equal(SpecVectors.Hex(SpecVectors.KQos), WrpMsgPackKeys.Qos.ToArray());
    }

    private static void AssertEncodes(WrpMessage message, byte[] expected)
    {
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(WrpMsgPack.Encode(message)));
        var writer = new ArrayBufferWriter<byte>(1);
        WrpMsgPack.Encode(message, writer);
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(writer.WrittenSpan));
    }
}

/// <summary>Hand-derived msgpack vectors (SPEC.md §2), shared by the spec, property and fuzz tests.</summary>
public static class SpecVectors
{
    public const string KMsgType = "a86d73675f74797065";
    public const string KSource = "a6736f75726365";
    public const string KDest = "a464657374";
    public const string KTransactionUuid = "b07472616e73616374696f6e5f75756964";
    public const string KContentType = "ac636f6e74656e745f74797065";
    public const string KAccept = "a6616363657074";
    public const string KStatus = "a6737461747573";
    public const string KRdr = "a3726472";
    public const string KHeaders = "a768656164657273";
    public const string KMetadata = "a86d65746164617461";
    public const string KPath = "a470617468";
    public const string KPayload = "a77061796c6f6164";
    public const string KServiceName = "ac736572766963655f6e616d65";
    public const string KUrl = "a375726c";
    public const string KPartnerIds = "ab706172746e65725f696473";
    public const string KSessionId = "aa73657373696f6e5f6964";
    public const string KQos = "a3716f73";

    /// <summary>SPEC.md §2: <c>82a86d73675f74797065 0a a3716f73 00</c>.</summary>
    public static byte[] ServiceAlive { get; } = Hex("82a86d73675f74797065 0a a3716f73 00");

    /// <summary>wrp-go example_test.go Example_encode.</summary>
    public static byte[] SimpleEventExample { get; } = Hex(
        "85a86d73675f7479706504a6736f75726365a573656c663aa464657374ac6576656e743a737461747573a77061796c6f6164c40568656c6c6fa3716f7300");

    /// <summary>Every key once, in wrp-go's order, with one-character values: 17 keys, so a map16 header.</summary>
    public static byte[] AllFields { get; } = Hex(
        $"de0011 {KMsgType} 05 {KSource} a173 {KDest} a164 {KTransactionUuid} a174 {KContentType} a163 {KAccept} a161 " +
        $"{KStatus} 00 {KRdr} 00 {KHeaders} 91a168 {KMetadata} 81a16ba176 {KPath} a170 {KPayload} c40101 " +
        $"{KServiceName} a16e {KUrl} a175 {KPartnerIds} 91a178 {KSessionId} a169 {KQos} 63");

    /// <summary>All of the above plus decoder-tolerance inputs: seeds for the fuzz test.</summary>
    public static IReadOnlyList<byte[]> All { get; } =
    [
        ServiceAlive,
        SimpleEventExample,
        AllFields,
        Hex("83 c4086d73675f7479706504 c406736f75726365 a5 73656c663a c40464657374 a7 6576656e743a78"),
        Hex($"87 {KMsgType} 04 a57370616e739193a5686f702d31ce0754d4ec0b ad696e636c7564655f7370616e73c3 a66d73675f6964a3616263 " +
            $"a178 81 01 93 cb3ff8000000000000 c0 d40102 a179 c40201ff {KSource} a5 73656c663a"),
        Hex($"84 {KMsgType} 04 {KTransactionUuid} a1bf {KHeaders} 91 ac 61ff62c0e282f09f9880e282 {KQos} 00"),
        Hex($"84 {KMsgType} d100c8 {KStatus} d1fb2e {KRdr} d30000000080000000 {KQos} d0df"),
        Hex($"82 {KMsgType} 04 {KMetadata} 84 a17a a131 a161 a132 a16d a133 a17a a134"),
        Hex($"84 {KMsgType} 04 {KHeaders} 90 {KPartnerIds} 90 {KPayload} c400"),
        Hex("de0001 a86d73675f74797065 0a c0c0"),
        Hex($"83 {KMsgType} 04 {KStatus} c0 {KRdr} cf7fffffffffffffff"),
    ];

    /// <summary>The SimpleEvent of wrp-go's messages_benchmark_test.go getTestMessage() (SPEC.md §7).</summary>
    public static WrpMessage BenchmarkMessage() => new()
    {
        Type = MessageType.SimpleEvent,
        Source = "mac:112233445566/service-name/ignored/12344",
        Destination = "event:device-status/foo",
        TransactionUuid = "60dfdf5b-98c5-4e91-95fd-1fa6cb114cf5",
        ContentType = "application/json",
        Headers = ["key1:value1", "key2:value2"],
        Metadata = new Dictionary<string, string> { ["/key/1"] = "value1", ["/key/2"] = "value2" },
        Payload = "{\"key\": \"hello world\"}"u8.ToArray(),
        PartnerIds = ["partner1", "partner2"],
        SessionId = "1234",
    };

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>The bytes as a sequence of segments of the given size.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, int size)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Segment? first = null, last = null;
        for (var at = 0; at < bytes.Length; at += size)
        {
            var memory = bytes.AsMemory(at, Math.Min(size, bytes.Length - at));
            if (last is null)
            {
                first = last = new Segment(memory, 0);
            }
            else
            {
                last = last.Append(memory);
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
