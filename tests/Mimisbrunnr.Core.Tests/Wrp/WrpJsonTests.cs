using System.Buffers;
using System.Text;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>
/// The JSON codec against cases derived from SPEC.md §3 and Go's <c>encoding/json</c> rules; these run without the
/// shared vectors.
/// </summary>
public class WrpJsonTests
{
    private const string Example = """{"msg_type":4,"source":"self:","dest":"event:status","payload":"aGVsbG8="}""";

    [Fact]
    public void Example_from_wrp_go_decodes_and_encodes_back_to_the_same_bytes()
    {
        var message = Decode(Example);

        WrpAssert.Same(
            new WrpMessage
            {
                Type = MessageType.SimpleEvent,
                Source = "self:",
                Destination = "event:status",
                Payload = "hello"u8.ToArray(),
            },
            message);
        Assert.Equal(Example, Encode(message));
    }

    [Fact]
    public void Encode_writes_every_field_in_wrp_go_key_order()
    {
        var message = new WrpMessage
        {
            Type = MessageType.Create,
            Source = "dns:a.example.com",
            Destination = "mac:112233445566/config",
            TransactionUuid = "t-1",
            ContentType = "application/json",
            Accept = "application/msgpack",
            Status = 200,
            RequestDeliveryResponse = -1,
            Headers = ["H: 1", "H: 2"],
            Metadata = new Dictionary<string, string> { ["/b"] = "2", ["/a"] = "1" },
            Path = "/x/y",
            Payload = [0x00, 0xFF, 0x10],
            ServiceName = "svc",
            Url = "http://example.com",
            PartnerIds = ["p1"],
            SessionId = "s-1",
            QualityOfService = 24,
        };

        Assert.Equal(
            """{"msg_type":5,"source":"dns:a.example.com","dest":"mac:112233445566/config","transaction_uuid":"t-1","content_type":"application/json","accept":"application/msgpack","status":200,"rdr":-1,"headers":["H: 1","H: 2"],"metadata":{"/a":"1","/b":"2"},"path":"/x/y","payload":"AP8Q","service_name":"svc","url":"http://example.com","partner_ids":["p1"],"session_id":"s-1","qos":24}""",
            Encode(message));
    }

    [Fact]
    public void Encode_omits_empty_values_but_writes_zero_status_and_rdr()
    {
        var message = new WrpMessage
        {
            Type = MessageType.SimpleRequestResponse,
            Status = 0,
            RequestDeliveryResponse = 0,
            Headers = [],
            Metadata = new Dictionary<string, string>(),
            Payload = [],
            PartnerIds = [],
            QualityOfService = 0,
        };

        Assert.Equal("""{"msg_type":3,"status":0,"rdr":0}""", Encode(message));
        Assert.Equal("""{"msg_type":0}""", Encode(new WrpMessage()));
    }

    [Theory]
    [InlineData(0, """{"msg_type":10}""")]
    [InlineData(1, """{"msg_type":10,"qos":1}""")]
    [InlineData(-7, """{"msg_type":10,"qos":-7}""")]
    [InlineData(long.MaxValue, """{"msg_type":10,"qos":9223372036854775807}""")]
    [InlineData(long.MinValue, """{"msg_type":10,"qos":-9223372036854775808}""")]
    public void Encode_omits_qos_only_when_zero(long qos, string expected) =>
        Assert.Equal(expected, Encode(new WrpMessage { Type = MessageType.ServiceAlive, QualityOfService = qos }));

    [Fact]
    public void Encode_escapes_html_characters_and_line_separators_like_go()
    {
        // SPEC.md §3 / vector simple_event_utf8_and_html_chars: < > & as \u003c \u003e \u0026, other non-ASCII raw.
        var message = new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = "mac:112233445566/svc",
            Destination = "event:note",
            ContentType = "text/html",
            Metadata = new Dictionary<string, string> { ["/note"] = "<b>café & ☃</b>" },
            Payload = "<p>x</p>"u8.ToArray(),
        };

        Assert.Equal(
            """{"msg_type":4,"source":"mac:112233445566/svc","dest":"event:note","content_type":"text/html","metadata":{"/note":"\u003cb\u003ecafé \u0026 ☃\u003c/b\u003e"},"payload":"PHA+eDwvcD4="}""",
            Encode(message));
        Assert.Equal("""{"msg_type":4,"path":"a\u2028b\u2029c"}""", EncodePath("a\u2028b\u2029c"));
    }

    [Fact]
    public void Encode_escapes_controls_quotes_and_backslashes_like_go()
    {
        var text = "\0\u0001\b\t\n\u000b\f\r\u001f \"\\/\u007f'";
        Assert.Equal(
            "{\"msg_type\":4,\"path\":\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\\"\\\\/\u007f'\"}",
            EncodePath(text));
    }

    [Fact]
    public void Encode_writes_non_ascii_as_raw_utf8_and_invalid_utf8_as_replacement_escapes()
    {
        // A surrogate pair (U+1F600) is raw UTF-8; a lone surrogate stands for an invalid byte and becomes \ufffd;
        // a real U+FFFD is written raw.
        Assert.Equal("{\"msg_type\":4,\"path\":\"é😀\uFFFD\"}", EncodePath("é😀\uFFFD"));
        Assert.Equal("""{"msg_type":4,"path":"a\ufffdb\ufffd\ufffd"}""", EncodePath("a\uDCBFb\uDCC3\uD800"));
        Assert.Equal("""{"msg_type":4,"path":"\ufffd"}""", EncodePath("\uD83D"));
    }

    [Fact]
    public void Encode_sorts_metadata_keys_by_utf8_bytes_not_utf16()
    {
        // UTF-16 ordinal order puts U+1F600 (a surrogate pair, 0xD83D...) before U+E000; UTF-8 puts it after
        // (F0 9F 98 80 > EE 80 80). Go sorts by bytes. Invalid bytes (lone surrogates) sort as the raw byte.
        var metadata = new Dictionary<string, string>
        {
            ["\uE000"] = "pua",
            ["😀"] = "emoji",
            ["b"] = "2",
            ["B"] = "upper",
            ["a"] = "1",
            ["é"] = "e-acute",
            ["a\uDCFF"] = "bad",
            ["ab"] = "ab",
        };
        var json = Encode(new WrpMessage { Type = MessageType.SimpleEvent, Metadata = metadata });

        Assert.Equal(
            "{\"msg_type\":4,\"metadata\":{\"B\":\"upper\",\"a\":\"1\",\"ab\":\"ab\",\"a\\ufffd\":\"bad\",\"b\":\"2\",\"é\":\"e-acute\",\"\uE000\":\"pua\",\"😀\":\"emoji\"}}",
            json);
    }

    [Fact]
    public void Encode_sorts_any_dictionary_type_by_utf8_bytes()
    {
        // SortedDictionary orders by UTF-16 (the emoji first); the encoder re-sorts by UTF-8 bytes.
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["\uE000"] = "1", ["😀"] = "2", ["a"] = "3" };

        Assert.Equal(
            "{\"msg_type\":4,\"metadata\":{\"a\":\"3\",\"\uE000\":\"1\",\"😀\":\"2\"}}",
            Encode(new WrpMessage { Type = MessageType.SimpleEvent, Metadata = metadata }));
        Assert.Equal(
            "{\"msg_type\":4,\"metadata\":{\"a\":\"3\",\"\uE000\":\"1\",\"😀\":\"2\"}}",
            Encode(new WrpMessage { Type = MessageType.SimpleEvent, Metadata = new System.Collections.ObjectModel.ReadOnlyDictionary<string, string>(metadata) }));
    }

    [Fact]
    public void Encode_into_a_buffer_writer_writes_the_same_bytes()
    {
        var message = Decode(Example);
        var writer = new ArrayBufferWriter<byte>();
        writer.Write("prefix"u8);

        WrpJson.Encode(message, writer);

        Assert.Equal("prefix" + Example, Encoding.UTF8.GetString(writer.WrittenSpan));
    }

    [Fact]
    public void Encode_into_a_buffer_writer_allocates_nothing()
    {
        var message = new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = "mac:112233445566/service-name/ignored/12344",
            Destination = "event:device-status/foo",
            TransactionUuid = "60dfdf5b-98c5-4e91-95fd-1fa6cb114cf5",
            Status = 1,
            Headers = ["key1:value1", "<key2>:välue2"],
            Metadata = Enumerable.Range(0, 20).ToDictionary(i => $"/key/{(i * 7) % 20}", i => "value😀"),
            Payload = "{\"key\": \"hello world\"}"u8.ToArray(),
            PartnerIds = ["partner1", "partner2"],
            QualityOfService = 10,
        };
        var writer = new ArrayBufferWriter<byte>(4096);

        Assert.Equal(0, Allocations.SteadyState(() =>
        {
            writer.ResetWrittenCount();
            WrpJson.Encode(message, writer);
        }));
    }

    [Fact]
    public void Decode_matches_keys_case_insensitively_as_go_does()
    {
        var message = Decode("""{"MSG_TYPE":4,"Source":"self:","DeSt":"event:x","\u017Fession_id":"s","\u0051os":5}""");

        Assert.Equal(MessageType.SimpleEvent, message.Type);
        Assert.Equal("self:", message.Source);
        Assert.Equal("event:x", message.Destination);
        Assert.Equal("s", message.SessionId);
        Assert.Equal(5, message.QualityOfService);

        // The long s (U+017F) folds to 's' in raw UTF-8 too; other look-alikes do not match.
        Assert.Equal("raw", Decode("{\"msg_type\":4,\"\u017Fource\":\"raw\"}").Source);
        Assert.Equal(string.Empty, Decode("{\"msg_type\":4,\"\u0455ource\":\"cyrillic\"}").Source);
        Assert.Equal(string.Empty, Decode("""{"msg_type":4,"source ":"space"}""").Source);
    }

    [Fact]
    public void Decode_treats_null_as_absent()
    {
        var message = Decode(
            """{"msg_type":4,"source":"self:","source":null,"status":1,"status":null,"rdr":null,"headers":null,"metadata":null,"payload":null,"partner_ids":null,"qos":null,"msg_type":null}""");

        WrpAssert.Same(new WrpMessage { Type = MessageType.SimpleEvent, Source = "self:" }, message);
    }

    [Fact]
    public void Decode_keeps_empty_lists_and_maps_as_empty()
    {
        var message = Decode("""{"msg_type":4,"headers":[],"metadata":{},"payload":"","partner_ids":[]}""");

        Assert.Empty(Assert.IsType<string[]>(message.Headers));
        Assert.Empty(Assert.IsType<Dictionary<string, string>>(message.Metadata));
        Assert.Empty(Assert.IsType<byte[]>(message.Payload));
        Assert.Empty(Assert.IsType<string[]>(message.PartnerIds));
        Assert.Equal(Array.Empty<byte>(), Decode("""{"msg_type":4,"payload":[]}""").Payload);
    }

    [Theory]
    [InlineData("""{"msg_type":4.0}""")]
    [InlineData("""{"msg_type":"4"}""")]
    [InlineData("""{"msg_type":true}""")]
    [InlineData("""{"msg_type":[4]}""")]
    [InlineData("""{"msg_type":4,"status":200.0}""")]
    [InlineData("""{"msg_type":4,"status":2e2}""")]
    [InlineData("""{"msg_type":4,"rdr":1E0}""")]
    [InlineData("""{"msg_type":4,"qos":"1"}""")]
    [InlineData("""{"msg_type":4,"qos":9223372036854775808}""")]
    [InlineData("""{"msg_type":-9223372036854775809}""")]
    public void Decode_rejects_integers_that_go_rejects(string json) => AssertRejected(json);

    [Theory]
    [InlineData("""{"msg_type":-0}""", 0)]
    [InlineData("""{"msg_type":9223372036854775807}""", long.MaxValue)]
    [InlineData("""{"msg_type":-9223372036854775808}""", long.MinValue)]
    [InlineData("""{"msg_type": 4 }""", 4)]
    public void Decode_accepts_every_int64(string json, long expected) => Assert.Equal(expected, (long)Decode(json).Type);

    [Theory]
    [InlineData("""{"msg_type":4,"source":1}""")]
    [InlineData("""{"msg_type":4,"source":true}""")]
    [InlineData("""{"msg_type":4,"source":["self:"]}""")]
    [InlineData("""{"msg_type":4,"source":{}}""")]
    [InlineData("""{"msg_type":4,"headers":"h"}""")]
    [InlineData("""{"msg_type":4,"headers":[1]}""")]
    [InlineData("""{"msg_type":4,"headers":[["h"]]}""")]
    [InlineData("""{"msg_type":4,"headers":{}}""")]
    [InlineData("""{"msg_type":4,"partner_ids":[false]}""")]
    [InlineData("""{"msg_type":4,"metadata":[]}""")]
    [InlineData("""{"msg_type":4,"metadata":{"a":1}}""")]
    [InlineData("""{"msg_type":4,"metadata":{"a":{}}}""")]
    [InlineData("""{"msg_type":4,"metadata":"a"}""")]
    [InlineData("""{"msg_type":4,"payload":{}}""")]
    [InlineData("""{"msg_type":4,"payload":true}""")]
    public void Decode_rejects_values_of_the_wrong_type(string json) => AssertRejected(json);

    [Theory]
    [InlineData("aGVsbG8=", "hello")]
    [InlineData("aGVsbG9=", "hello")] // non-zero unused bits: StdEncoding is not Strict
    [InlineData("aGVs\\nbG8=", "hello")] // Go's base64 skips \r and \n anywhere
    [InlineData("\\r\\naGVsbG8=\\r\\n", "hello")]
    [InlineData("aGk=", "hi")]
    [InlineData("aA=\\n=", "h")]
    [InlineData("aA==", "h")]
    [InlineData("\\u0061A==", "h")]
    [InlineData("", "")]
    public void Decode_accepts_standard_padded_base64_payloads(string base64, string expected) =>
        Assert.Equal(Encoding.ASCII.GetBytes(expected), Decode($$"""{"msg_type":4,"payload":"{{base64}}"}""").Payload);

    [Theory]
    [InlineData("aGVsbG8")] // unpadded
    [InlineData("aGk")]
    [InlineData("aA=")]
    [InlineData("a===")]
    [InlineData("====")]
    [InlineData("aGVs bG8=")] // a space is not skipped
    [InlineData("aGVs\\tbG8=")]
    [InlineData("_-8=")] // URL-safe alphabet
    [InlineData("aGk=aGk=")] // data after the padding
    [InlineData("aGk=\\n!")]
    [InlineData("aGVsbG8=\\u0000")]
    [InlineData("é===")]
    public void Decode_rejects_base64_that_go_rejects(string base64) =>
        AssertRejected($$"""{"msg_type":4,"payload":"{{base64}}"}""");

    [Fact]
    public void Decode_accepts_a_payload_as_an_array_of_bytes()
    {
        Assert.Equal("hi"u8.ToArray(), Decode("""{"msg_type":4,"payload":[104,105]}""").Payload);
        Assert.Equal(new byte[] { 0, 255 }, Decode("""{"msg_type":4,"payload":[0, 255]}""").Payload);
        Assert.Equal(new byte[] { 0, 7 }, Decode("""{"msg_type":4,"payload":[null,7]}""").Payload);
    }

    [Theory]
    [InlineData("[256]")]
    [InlineData("[-1]")]
    [InlineData("[-0]")]
    [InlineData("[1.0]")]
    [InlineData("[1e1]")]
    [InlineData("[\"1\"]")]
    [InlineData("[[1]]")]
    public void Decode_rejects_payload_arrays_go_rejects(string payload) =>
        AssertRejected($$"""{"msg_type":4,"payload":{{payload}}}""");

    [Fact]
    public void Decode_handles_long_lists_and_payload_arrays()
    {
        var headers = Enumerable.Range(0, 100).Select(i => $"h{i}").ToArray();
        var bytes = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var json = $$"""{"msg_type":4,"headers":[{{string.Join(",", headers.Select(h => $"\"{h}\""))}}],"payload":[{{string.Join(",", bytes)}}]}""";

        var message = Decode(json);

        Assert.Equal(headers, message.Headers);
        Assert.Equal(bytes, message.Payload);

        // A repeated key with null elements past an earlier long array keeps that array's elements.
        var again = Decode($$"""{"msg_type":4,"headers":[{{string.Join(",", headers.Select(h => $"\"{h}\""))}}],"headers":["x"{{string.Concat(Enumerable.Repeat(",null", 99))}},null]}""");
        Assert.Equal(["x", .. headers[1..], string.Empty], again.Headers!);
    }

    [Fact]
    public void Decode_lets_the_last_duplicate_key_win()
    {
        var message = Decode("""{"msg_type":3,"msg_type":4,"source":"self:","SOURCE":"dns:b.example.com","payload":[1],"payload":"AA=="}""");

        Assert.Equal(MessageType.SimpleEvent, message.Type);
        Assert.Equal("dns:b.example.com", message.Source);
        Assert.Equal(new byte[] { 0 }, message.Payload);
    }

    [Fact]
    public void Decode_reuses_lists_and_maps_of_repeated_keys_as_go_does()
    {
        // Go decodes a repeated key into the same value: a map keeps its entries, and a null list element is a no-op
        // on the element the earlier array left in the reused backing array (even past the shorter array's end).
        var message = Decode(
            """{"msg_type":4,"metadata":{"a":"1","b":"2"},"metadata":{"b":"3","c":null},"headers":["x","y","z"],"headers":["q"],"headers":[null,null,null,null]}""");

        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "3", ["c"] = string.Empty }, message.Metadata);
        Assert.Equal(new[] { "q", "y", "z", string.Empty }, message.Headers);

        // [] and null start a new slice.
        Assert.Equal(new[] { string.Empty }, Decode("""{"msg_type":4,"partner_ids":["x"],"partner_ids":[],"partner_ids":[null]}""").PartnerIds);
        Assert.Equal(new[] { string.Empty }, Decode("""{"msg_type":4,"partner_ids":["x"],"partner_ids":null,"partner_ids":[null]}""").PartnerIds);
        Assert.Equal(new byte[] { 104, 0 }, Decode("""{"msg_type":4,"payload":"aA==","payload":[null,null]}""").Payload);
    }

    [Fact]
    public void Decode_reads_only_the_first_value()
    {
        var expected = new WrpMessage { Type = MessageType.SimpleEvent, Source = "self:", Destination = "event:x" };

        WrpAssert.Same(expected, Decode("""{"msg_type":4,"source":"self:","dest":"event:x"} trailing"""));
        WrpAssert.Same(expected, Decode("""  {"msg_type":4,"source":"self:","dest":"event:x"}}{"""));
        WrpAssert.Same(expected, Decode("""{"msg_type":4,"source":"self:","dest":"event:x"}{"msg_type":3}"""));
    }

    [Theory]
    [InlineData("null")]
    [InlineData(" \t\r\nnull")]
    [InlineData("null trailing")]
    [InlineData("nullnull")]
    public void Decode_of_top_level_null_is_the_empty_message(string json) =>
        WrpAssert.Same(new WrpMessage(), Decode(json));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    [InlineData("4")]
    [InlineData("true")]
    [InlineData("nul")]
    [InlineData("\uFEFF{\"msg_type\":4}")]
    [InlineData("{")]
    [InlineData("{\"msg_type\":4")]
    [InlineData("{\"msg_type\":4,}")]
    [InlineData("{\"msg_type\" 4}")]
    [InlineData("{'msg_type':4}")]
    [InlineData("{\"msg_type\":04}")]
    [InlineData("{\"msg_type\":4 /* comment */}")]
    [InlineData("{\"source\":\"a\tb\"}")]
    [InlineData("{\"source\":\"\\x\"}")]
    [InlineData("{\"source\":\"\\u12\"}")]
    [InlineData("{\"x\":[1,2,}")]
    public void Decode_rejects_what_go_rejects(string json) => AssertRejected(json);

    [Fact]
    public void Decode_skips_unknown_keys_whatever_their_value()
    {
        var message = Decode(
            """{"spans":[["a",1,2],{"x":[null,true,false,-1.5e-3]}],"include_spans":true,"msg_type":4,"msg_id":7,"span_parent":null,"x":"y"}""");

        WrpAssert.Same(new WrpMessage { Type = MessageType.SimpleEvent }, message);
    }

    [Fact]
    public void Decode_allows_go_nesting_depth_and_rejects_deeper()
    {
        // Go's limit is 10000 levels, counting the message object.
        static string Nested(int depth) => "{\"x\":" + new string('[', depth - 1) + new string(']', depth - 1) + ",\"msg_type\":4}";

        Assert.Equal(MessageType.SimpleEvent, Decode(Nested(WrpJson.MaxDepth)).Type);
        var error = AssertRejected(Nested(WrpJson.MaxDepth + 1));
        Assert.Contains("depth", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Decode_replaces_invalid_utf8_per_byte_as_go_does()
    {
        // Raw bytes: FF, a truncated 3-byte sequence E2 82 then 'A', an encoded surrogate ED A0 80, overlong C0 80.
        byte[] json = [.. "{\"msg_type\":4,\"source\":\""u8, 0xFF, 0xE2, 0x82, (byte)'A', 0xED, 0xA0, 0x80, 0xC0, 0x80, .. "\"}"u8];

        Assert.Equal("\uFFFD\uFFFD\uFFFDA\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD", WrpJson.Decode(json).Source);

        // Invalid bytes in a key: the key is unknown, not an error.
        byte[] key = [.. "{\"msg_type\":4,\"sour"u8, 0xFF, .. "ce\":\"x\"}"u8];
        Assert.Equal(string.Empty, WrpJson.Decode(key).Source);
    }

    [Theory]
    [InlineData("\\ud83d\\ude00", "😀")] // a valid escaped pair
    [InlineData("\\ud83d", "\uFFFD")] // lone high
    [InlineData("\\ude00", "\uFFFD")] // lone low
    [InlineData("\\ud83dx", "\uFFFDx")]
    [InlineData("\\ud83d\\ud83d\\ude00", "\uFFFD😀")] // the second escape is read on its own
    [InlineData("\\ude00\\ud83d", "\uFFFD\uFFFD")]
    [InlineData("\\ud83d\\n", "\uFFFD\n")]
    [InlineData("\\u00e9\\u2028\\/\\\"\\\\\\b\\f\\n\\r\\t\\u0000", "é\u2028/\"\\\b\f\n\r\t\0")]
    public void Decode_unescapes_like_go(string escaped, string expected) =>
        Assert.Equal(expected, Decode($$"""{"msg_type":4,"path":"{{escaped}}"}""").Path);

    [Fact]
    public void Decode_of_a_null_metadata_value_is_the_empty_string() =>
        Assert.Equal(
            new Dictionary<string, string> { ["n1"] = "v1", ["n2"] = string.Empty },
            Decode("""{"msg_type":4,"metadata":{"n1":"v1","n2":null}}""").Metadata);

    [Fact]
    public void Decode_rejects_input_over_the_size_limit()
    {
        var json = new byte[WrpJson.MaxInputLength + 1];
        "{\"msg_type\":4}"u8.CopyTo(json);
        json.AsSpan(14).Fill((byte)' ');

        var error = Assert.Throws<WrpFormatException>(() => WrpJson.Decode(json));
        Assert.Contains("limit", error.Message, StringComparison.Ordinal);
        Assert.Equal(MessageType.SimpleEvent, WrpJson.Decode(json.AsSpan(0, WrpJson.MaxInputLength)).Type);
    }

    [Fact]
    public void Errors_give_the_field_and_the_byte_offset()
    {
        var error = AssertRejected("""{"msg_type":4,"status":"200"}""");
        Assert.Contains("status", error.Message, StringComparison.Ordinal);
        Assert.Equal(23, error.Offset);

        var syntax = AssertRejected("""  {"msg_type":4,,}""");
        Assert.Equal(16, syntax.Offset);
        Assert.StartsWith("invalid JSON", syntax.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_after_encode_gives_the_message_back_up_to_what_json_loses()
    {
        var message = new WrpMessage
        {
            Type = MessageType.Update,
            Source = "dns:a.example.com",
            Destination = "mac:112233445566/config",
            TransactionUuid = "t",
            Status = 0,
            Headers = [],
            Metadata = new Dictionary<string, string> { ["k\u2028"] = "<v>", ["\0"] = "\uDCFF" },
            Payload = [],
            PartnerIds = ["", "x"],
            Path = "a\"b\\c",
        };

        var decoded = WrpJson.Decode(WrpJson.Encode(message));

        WrpAssert.Same(WrpAssert.NormaliseForJson(message), decoded);
        Assert.Null(decoded.Headers);
        Assert.Equal("\uFFFD", decoded.Metadata!["\0"]);
    }

    [Fact]
    public void Utf8_comparison_orders_like_bytes()
    {
        string[] ordered = ["", "\0", "A", "a", "a\0", "ab", "\u007f", "\u0080", "\u07ff", "\u0800", "\uD7FF", "\uE000", "\uFFFD", "\uFFFF", "😀", "\U0010FFFF"];
        for (var i = 0; i < ordered.Length; i++)
        {
            for (var j = 0; j < ordered.Length; j++)
            {
                var bytes = Encoding.UTF8.GetBytes(ordered[i]).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(ordered[j]));
                Assert.Equal(Math.Sign(bytes), Math.Sign(WrpJsonStrings.CompareUtf8(ordered[i], ordered[j])));
            }
        }

        // A lone low surrogate is the raw byte it escapes: 0xC3 sorts after "A" and before "é" (C3 A9), which is
        // longer. A lone high surrogate counts as U+FFFD.
        Assert.True(WrpJsonStrings.CompareUtf8("\uDCC3", "é") < 0);
        Assert.True(WrpJsonStrings.CompareUtf8("\uDCC3\u00FF", "é") > 0); // C3 C3 BF > C3 A9
        Assert.True(WrpJsonStrings.CompareUtf8("x\uD83D", "x\uFFFD") == 0);
        Assert.True(WrpJsonStrings.CompareUtf8("x\uD83D\uDE00", "x\uD83D") > 0); // F0 9F 98 80 > EF BF BD
    }

    internal static WrpMessage Decode(string json) => WrpJson.Decode(Encoding.UTF8.GetBytes(json));

    internal static string Encode(WrpMessage message) => Encoding.UTF8.GetString(WrpJson.Encode(message));

    private static string EncodePath(string path) => Encode(new WrpMessage { Type = MessageType.SimpleEvent, Path = path });

    private static WrpFormatException AssertRejected(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return Assert.Throws<WrpFormatException>(() => WrpJson.Decode(bytes));
    }
}

/// <summary>Message comparisons with readable failures, and the normal form a JSON round trip produces.</summary>
internal static class WrpAssert
{
    /// <summary>Asserts equality and, on failure, shows every field of both messages.</summary>
    public static void Same(WrpMessage expected, WrpMessage actual)
    {
        Assert.Equal(Describe(expected), Describe(actual));
        Assert.Equal(expected, actual);
    }

    /// <summary>
    /// What JSON keeps of a message: zero-length headers, metadata, partner_ids and payload become absent, and each
    /// lone surrogate (invalid UTF-8) becomes U+FFFD.
    /// </summary>
    public static WrpMessage NormaliseForJson(WrpMessage m) => new()
    {
        Type = m.Type,
        Source = Fix(m.Source),
        Destination = Fix(m.Destination),
        TransactionUuid = Fix(m.TransactionUuid),
        ContentType = Fix(m.ContentType),
        Accept = Fix(m.Accept),
        Status = m.Status,
        RequestDeliveryResponse = m.RequestDeliveryResponse,
        Headers = m.Headers is { Count: > 0 } headers ? headers.Select(Fix).ToArray() : null,
        Metadata = m.Metadata is { Count: > 0 } metadata
            ? metadata.OrderBy(p => p.Key, Comparer<string>.Create(WrpJsonStrings.CompareUtf8))
                .Aggregate(new Dictionary<string, string>(StringComparer.Ordinal), (d, p) =>
                {
                    d[Fix(p.Key)] = Fix(p.Value);
                    return d;
                })
            : null,
        Path = Fix(m.Path),
        Payload = m.Payload is { Length: > 0 } payload ? payload : null,
        ServiceName = Fix(m.ServiceName),
        Url = Fix(m.Url),
        PartnerIds = m.PartnerIds is { Count: > 0 } partners ? partners.Select(Fix).ToArray() : null,
        SessionId = Fix(m.SessionId),
        QualityOfService = m.QualityOfService,
    };

    public static string Describe(WrpMessage m)
    {
        static string S(string? s) => s is null ? "null" : "\"" + string.Concat(s.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:x4}" : c.ToString())) + "\"";
        static string L(IReadOnlyList<string>? l) => l is null ? "null" : "[" + string.Join(",", l.Select(S)) + "]";
        var metadata = m.Metadata is null
            ? "null"
            : "{" + string.Join(",", m.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => S(p.Key) + ":" + S(p.Value))) + "}";
        return $"type={(long)m.Type} source={S(m.Source)} dest={S(m.Destination)} tx={S(m.TransactionUuid)} ct={S(m.ContentType)} "
            + $"accept={S(m.Accept)} status={m.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} "
            + $"rdr={m.RequestDeliveryResponse?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} headers={L(m.Headers)} "
            + $"metadata={metadata} path={S(m.Path)} payload={(m.Payload is null ? "null" : Convert.ToHexString(m.Payload))} "
            + $"service={S(m.ServiceName)} url={S(m.Url)} partners={L(m.PartnerIds)} session={S(m.SessionId)} qos={m.QualityOfService}";
    }

    private static string Fix(string value)
    {
        var chars = value.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }
}
