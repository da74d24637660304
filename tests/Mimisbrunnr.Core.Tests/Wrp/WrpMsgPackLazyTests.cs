using System.Buffers;
using System.Text;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>
/// The lazily created fields of a decoded <see cref="WrpMessage"/> (WrpMessage.Wire.cs): a decoded message must behave
/// exactly like the same message built eagerly, whichever fields were read, by however many threads, in whatever
/// order; invalid input must fail where it failed before (structure at decode, UTF-8 at validation).
/// </summary>
public class WrpMsgPackLazyTests
{
    /// <summary>Every field, with non-ASCII text in some strings, a header and a metadata value.</summary>
    private static readonly WrpMessage AllFields = new()
    {
        Type = MessageType.Create,
        Source = "mac:112233445566/service",
        Destination = "event:device-status/é",
        TransactionUuid = "546514d4-9cb6-41c9-88ca-ccd4c130c525",
        ContentType = "application/json",
        Accept = "application/msgpack",
        Status = 200,
        RequestDeliveryResponse = 0,
        Headers = ["X-A: 1", "X-Ü: 2"],
        Metadata = new Dictionary<string, string> { ["/boot-time"] = "1542834188", ["/名前"] = "値" },
        Path = "/a/b",
        Payload = [1, 2, 3, 0xff],
        ServiceName = "svc",
        Url = "http://example.com",
        PartnerIds = ["comcast", "example"],
        SessionId = "sess-0001",
        QualityOfService = 24,
    };

    /// <summary>The hex of a short str (fixstr header) holding <paramref name="contentHex"/>.</summary>
    private static string Str(string contentHex) => $"{0xa0 | (contentHex.Length / 2):x2}{contentHex}";

    private static string Str(ReadOnlySpan<byte> utf8) => Str(Convert.ToHexStringLower(utf8));

    /// <summary>The same message, built from the decoded one's values: no wire, nothing lazy.</summary>
    private static WrpMessage Eager(WrpMessage m) => new()
    {
        Type = m.Type,
        Source = m.Source,
        Destination = m.Destination,
        TransactionUuid = m.TransactionUuid,
        ContentType = m.ContentType,
        Accept = m.Accept,
        Status = m.Status,
        RequestDeliveryResponse = m.RequestDeliveryResponse,
        Headers = m.Headers?.ToArray(),
        Metadata = m.Metadata is null ? null : new OrderedDictionary<string, string>(m.Metadata),
        Path = m.Path,
        Payload = m.Payload?.ToArray(),
        ServiceName = m.ServiceName,
        Url = m.Url,
        PartnerIds = m.PartnerIds?.ToArray(),
        SessionId = m.SessionId,
        QualityOfService = m.QualityOfService,
    };

    /// <summary>Every lazily created field, read in an order that starts at <paramref name="first"/>.</summary>
    private static object?[] ReadAll(WrpMessage m, int first)
    {
        var readers = new Func<WrpMessage, object?>[]
        {
            x => x.Source, x => x.Destination, x => x.TransactionUuid, x => x.ContentType, x => x.Accept,
            x => x.Headers, x => x.Metadata, x => x.Path, x => x.Payload, x => x.ServiceName, x => x.Url,
            x => x.PartnerIds, x => x.SessionId,
        };
        var values = new object?[readers.Length];
        for (var i = 0; i < readers.Length; i++)
        {
            var field = (first + i) % readers.Length;
            values[field] = readers[field](m);
        }

        return values;
    }

    [Fact]
    public void Concurrent_first_reads_of_every_field_see_one_instance_equal_to_an_eager_decode()
    {
        const int Threads = 8;
        const int Rounds = 300;
        var bytes = WrpMsgPack.Encode(AllFields);
        var messages = Enumerable.Range(0, Rounds).Select(_ => WrpMsgPack.Decode(bytes)).ToArray();
        var seen = new object?[Rounds * Threads][];
        using var barrier = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                barrier.SignalAndWait();
                seen[(round * Threads) + t] = ReadAll(messages[round], first: t + round);
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        var expected = ReadAll(AllFields, 0);
        for (var round = 0; round < Rounds; round++)
        {
            for (var field = 0; field < expected.Length; field++)
            {
                var first = seen[round * Threads][field];
                for (var t = 1; t < Threads; t++)
                {
                    Assert.Same(first, seen[(round * Threads) + t][field]);
                }

                Assert.Same(first, ReadAll(messages[round], 0)[field]);
            }

            Assert.Equal(AllFields, messages[round]);
        }
    }

    [Fact]
    public void A_decoded_message_equals_the_eager_one_whichever_fields_were_read_first()
    {
        var bytes = WrpMsgPack.Encode(AllFields);
        for (var first = 0; first < 13; first++)
        {
            var message = WrpMsgPack.Decode(bytes);
            _ = ReadAll(message, first);
            Assert.Equal(AllFields, message);
            Assert.Equal(bytes, WrpMsgPack.Encode(message));
            Assert.Equal(WrpJson.Encode(AllFields), WrpJson.Encode(message));
        }
    }

    [Fact]
    public void Decoding_allocates_the_message_and_one_copy_of_its_bytes_and_reading_a_field_twice_creates_it_once()
    {
        var bytes = WrpMsgPack.Encode(SpecVectors.BenchmarkMessage());
        for (var i = 0; i < 10; i++)
        {
            _ = WrpMsgPack.Decode(bytes);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var message = WrpMsgPack.Decode(bytes);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The copy (array header + bytes) and the message object; no strings, lists, map or payload.
        Assert.InRange(allocated, bytes.Length, bytes.Length + 320);
        Assert.Same(message.Source, message.Source);
        Assert.Same(message.Headers, message.Headers);
        Assert.Same(message.Metadata, message.Metadata);
        Assert.Same(message.Payload, message.Payload);
    }

    [Fact]
    public void Wrp_go_bytes_are_copied_back_when_encoding_a_decoded_message()
    {
        var bytes = WrpMsgPack.Encode(AllFields);
        var message = WrpMsgPack.Decode(bytes);
        Assert.Same(message.CanonicalWire, message.CanonicalWire);
        Assert.Equal(bytes, message.CanonicalWire);
        Assert.Equal(bytes, WrpMsgPack.Encode(message));

        var writer = new ArrayBufferWriter<byte>();
        WrpMsgPack.Encode(message, writer);
        Assert.Equal(bytes, writer.WrittenSpan.ToArray());

        // Trailing bytes are not part of the message.
        var withTrailing = WrpMsgPack.Decode([.. bytes, 0xc0, 0xc0]);
        Assert.Equal(bytes, withTrailing.CanonicalWire);
    }

    [Fact]
    public void The_msgpack_delivery_body_of_an_event_from_wrp_go_is_its_own_bytes()
    {
        var bytes = WrpMsgPack.Encode(AllFields);
        var message = WrpMsgPack.Decode(bytes);
        var routed = new Mimisbrunnr.Routing.RoutedEvent(message, default, "device-status", DateTimeOffset.UnixEpoch);
        var body = routed.GetWrpMsgPack();
        Assert.Equal(bytes, body.ToArray());
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(body, out var segment));
        Assert.Same(message.CanonicalWire, segment.Array);

        // Anything else is encoded, as before.
        var other = WrpMsgPack.Decode(SpecVectors.Hex($"83 {SpecVectors.KMsgType} cc04 {SpecVectors.KSource} a3616263 {SpecVectors.KQos} 00"));
        var otherBody = new Mimisbrunnr.Routing.RoutedEvent(other, default, "x", DateTimeOffset.UnixEpoch).GetWrpMsgPack();
        Assert.Equal(WrpMsgPack.Encode(Eager(other)), otherBody.ToArray());
    }

    public static TheoryData<string> MetadataMaps => new()
    {
        "80",
        "81 a16b a176",
        "84 a17a a131 a161 a132 a16d a133 a17a a134", // a repeated key: first position, last value
        "83 a2c3a9 a131 a3e5908d a2c3a9 a1ff a0", // non-ASCII keys, an invalid byte as a key, an empty value
        "82 a0 a131 a0 a132", // the empty key, repeated
        "de0011 " + string.Concat(Enumerable.Range(0, 17).Select(i => $"a2 6b{0x41 + i:x2} a176")), // too many: eager
    };

    [Theory]
    [MemberData(nameof(MetadataMaps))]
    public void Metadata_over_the_bytes_behaves_like_the_ordered_dictionary_of_an_eager_decode(string mapHex)
    {
        var input = SpecVectors.Hex($"83 {SpecVectors.KMsgType} 04 {SpecVectors.KMetadata} {mapHex} {SpecVectors.KQos} 00");
        var metadata = WrpMsgPack.Decode(input).Metadata!;

        // What wrp-go's map assignment gives, built here with MessagePackReader and OrderedDictionary's indexer.
        var expected = new OrderedDictionary<string, string>();
        var reader = new MessagePack.MessagePackReader(SpecVectors.Hex(mapHex));
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            reader.TryReadStringSpan(out var key);
            var keyString = WrpMsgPackUtf8.Decode(key);
            reader.TryReadStringSpan(out var value);
            expected[keyString] = WrpMsgPackUtf8.Decode(value);
        }

        Assert.Equal(expected.Count, metadata.Count);
        Assert.Equal(expected.ToList(), metadata.ToList());
        Assert.Equal(expected.Keys, metadata.Keys);
        Assert.Equal(expected.Values, metadata.Values);
        foreach (var (key, value) in expected)
        {
            Assert.True(metadata.TryGetValue(key, out var found));
            Assert.Same(found, metadata[key]);
            Assert.Equal(value, found);
            Assert.True(metadata.ContainsKey(key));
        }

        foreach (var missing in new[] { "missing", "K", "\u00e9", "\uD800", "\uDCFE", "kA\0" })
        {
            Assert.Equal(expected.ContainsKey(missing), metadata.ContainsKey(missing));
            Assert.Equal(expected.TryGetValue(missing, out var e), metadata.TryGetValue(missing, out var a));
            Assert.Equal(e, a);
        }

        Assert.Throws<KeyNotFoundException>(() => metadata["missing"]);
        Assert.Throws<ArgumentNullException>(() => metadata.ContainsKey(null!));
    }

    [Fact]
    public void Metadata_strings_created_by_racing_threads_are_one_instance()
    {
        var input = SpecVectors.Hex($"83 {SpecVectors.KMsgType} 04 {SpecVectors.KMetadata} 84 a161a131 a162a132 a163a133 a2c3a9a134 {SpecVectors.KQos} 00");
        for (var round = 0; round < 200; round++)
        {
            var metadata = WrpMsgPack.Decode(input).Metadata!;
            var seen = new List<KeyValuePair<string, string>>[4];
            using var barrier = new Barrier(seen.Length);
            var threads = Enumerable.Range(0, seen.Length).Select(t => new Thread(() =>
            {
                barrier.SignalAndWait();
                _ = metadata.TryGetValue(t % 2 == 0 ? "b" : "\u00e9", out _);
                seen[t] = [.. metadata];
            })).ToArray();
            foreach (var thread in threads)
            {
                thread.Start();
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }

            for (var t = 1; t < seen.Length; t++)
            {
                for (var i = 0; i < seen[0].Count; i++)
                {
                    Assert.Same(seen[0][i].Key, seen[t][i].Key);
                    Assert.Same(seen[0][i].Value, seen[t][i].Value);
                }
            }
        }
    }

    /// <summary>Inputs wrp-go decodes whose bytes differ from what it (and the encoder) writes for the message.</summary>
    public static TheoryData<string, string> NonCanonicalInputs => new()
    {
        { "unknown key", $"84 {SpecVectors.KMsgType} 04 a178 01 {SpecVectors.KSource} a3616263 {SpecVectors.KQos} 00" },
        { "unsigned int family", $"82 {SpecVectors.KMsgType} cc04 {SpecVectors.KQos} 00" },
        { "wider int than needed", $"82 {SpecVectors.KMsgType} d10004 {SpecVectors.KQos} 00" },
        { "str8 for a short string", $"83 {SpecVectors.KMsgType} 04 {SpecVectors.KSource} d903616263 {SpecVectors.KQos} 00" },
        { "empty string", $"83 {SpecVectors.KMsgType} 04 {SpecVectors.KSource} a0 {SpecVectors.KQos} 00" },
        { "keys out of order", $"83 {SpecVectors.KSource} a3616263 {SpecVectors.KMsgType} 04 {SpecVectors.KQos} 00" },
        { "repeated key", $"84 {SpecVectors.KMsgType} 04 {SpecVectors.KSource} a161 {SpecVectors.KSource} a162 {SpecVectors.KQos} 00" },
        { "bin key", $"83 c4086d73675f7479706504 {SpecVectors.KSource} a3616263 {SpecVectors.KQos} 00" },
        { "no qos", $"82 {SpecVectors.KMsgType} 04 {SpecVectors.KSource} a3616263" },
        { "no msg_type", $"82 {SpecVectors.KSource} a3616263 {SpecVectors.KQos} 00" },
        { "nil status", $"83 {SpecVectors.KMsgType} 03 {SpecVectors.KStatus} c0 {SpecVectors.KQos} 00" },
        { "empty headers", $"84 {SpecVectors.KMsgType} 04 {SpecVectors.KHeaders} 90 {SpecVectors.KPartnerIds} 90 {SpecVectors.KQos} 00" },
        { "empty payload", $"83 {SpecVectors.KMsgType} 04 {SpecVectors.KPayload} c400 {SpecVectors.KQos} 00" },
        { "array16 for two headers", $"83 {SpecVectors.KMsgType} 04 {SpecVectors.KHeaders} dc0002a161a162 {SpecVectors.KQos} 00" },
        { "bin16 payload", $"83 {SpecVectors.KMsgType} 04 {SpecVectors.KPayload} c50001ff {SpecVectors.KQos} 00" },
        { "map16 top level", $"de0002 {SpecVectors.KMsgType} 04 {SpecVectors.KQos} 00" },
        { "repeated metadata key", $"83 {SpecVectors.KMsgType} 04 {SpecVectors.KMetadata} 83 a161a131 a162a132 a161a133 {SpecVectors.KQos} 00" },
        { "repeated headers, second empty", $"84 {SpecVectors.KMsgType} 04 {SpecVectors.KHeaders} 91a161 {SpecVectors.KHeaders} 90 {SpecVectors.KQos} 00" },
        { "repeated payload, second empty", $"84 {SpecVectors.KMsgType} 04 {SpecVectors.KPayload} c40101 {SpecVectors.KPayload} c400 {SpecVectors.KQos} 00" },
        { "wrp-c order", "84a86d73675f7479706504a464657374ac6576656e743a737461747573a6736f75726365a573656c663aa77061796c6f6164c40568656c6c6f" },
    };

    [Theory]
    [MemberData(nameof(NonCanonicalInputs))]
    public void Other_inputs_are_encoded_field_by_field_as_the_eager_message_is(string what, string hex)
    {
        var input = SpecVectors.Hex(hex);
        var message = WrpMsgPack.Decode(input);
        Assert.True(message.CanonicalWire is null, what);

        // Without creating anything first, and again after creating everything.
        var expected = WrpMsgPack.Encode(Eager(WrpMsgPack.Decode(input)));
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(WrpMsgPack.Encode(message)));
        _ = ReadAll(message, 0);
        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(WrpMsgPack.Encode(message)));
    }

    [Fact]
    public void Every_spec_vector_behaves_like_its_eager_copy()
    {
        foreach (var vector in SpecVectors.All)
        {
            AssertBehavesLikeEager(vector);
        }
    }

    [Fact]
    public void Every_shared_vector_behaves_like_its_eager_copy()
    {
        var decodable = VectorMessages.All.Values
            .Where(e => e.GetProperty("format").GetString() == "msgpack")
            .Select(VectorMessages.Bytes)
            .Where(b => TryDecode(b) is not null)
            .ToList();
        if (decodable.Count == 0)
        {
            Assert.Skip(SharedVectors.MissingReason);
        }

        foreach (var bytes in decodable)
        {
            AssertBehavesLikeEager(bytes);
        }
    }

    /// <summary>Equality, validation (the same first error), msgpack and JSON bytes, lazy or created.</summary>
    internal static void AssertBehavesLikeEager(byte[] input)
    {
        var eager = Eager(WrpMsgPack.Decode(input));

        // Bytes in the encoder's own form are recognised as such (so encoding copies them), unless the metadata is too
        // large to check for a repeated key; whether they are copied or not, the bytes are the same (below).
        var decoded = WrpMsgPack.Decode(input, out int consumed);
        if (input.AsSpan(0, consumed).SequenceEqual(WrpMsgPack.Encode(eager)) && eager.Metadata is not { Count: > 16 })
        {
            Assert.NotNull(decoded.CanonicalWire);
        }

        foreach (var readFirst in new[] { false, true })
        {
            var lazy = WrpMsgPack.Decode(input);
            if (readFirst)
            {
                _ = ReadAll(lazy, 0);
            }

            var lazyValid = WrpValidator.TryValidate(lazy, out var lazyError);
            var eagerValid = WrpValidator.TryValidate(eager, out var eagerError);
            Assert.Equal(eagerValid, lazyValid);
            Assert.Equal(eagerError?.Message, lazyError?.Message);
            Assert.Equal(Convert.ToHexStringLower(WrpMsgPack.Encode(eager)), Convert.ToHexStringLower(WrpMsgPack.Encode(lazy)));
            Assert.Equal(Encoding.UTF8.GetString(WrpJson.Encode(eager)), Encoding.UTF8.GetString(WrpJson.Encode(lazy)));
            Assert.Equal(eager, lazy);
        }
    }

    /// <summary>wrp-go's key order (SPEC.md §2).</summary>
    private static readonly string[] KeyOrder =
    [
        "msg_type", "source", "dest", "transaction_uuid", "content_type", "accept", "status", "rdr", "headers", "metadata",
        "path", "payload", "service_name", "url", "partner_ids", "session_id", "qos",
    ];

    /// <summary>
    /// A valid message, as wrp-go writes it, with <paramref name="field"/> set to the msgpack value
    /// <paramref name="valueHex"/> (or left as it is when null).
    /// </summary>
    private static byte[] ValidWith(string field, string? valueHex)
    {
        // Create (CRUD) allows every field but service_name and url; ServiceRegistration requires those two.
        var registration = field is "service_name" or "url";
        var fields = registration
            ? new List<(string Key, string Value)>
            {
                ("msg_type", "09"),
                ("service_name", Str("svc"u8)),
                ("url", Str("http://x"u8)),
                ("qos", "00"),
            }
            : new List<(string Key, string Value)>
            {
                ("msg_type", "05"),
                ("source", Str("mac:112233445566"u8)),
                ("dest", Str("event:x"u8)),
                ("transaction_uuid", Str("t-1"u8)),
                ("headers", "91" + Str("X: 1"u8)),
                ("metadata", "81" + Str("k"u8) + Str("v"u8)),
                ("partner_ids", "91" + Str("p"u8)),
                ("qos", "00"),
            };
        if (valueHex is not null)
        {
            fields.RemoveAll(f => f.Key == field);
            fields.Add((field, valueHex));
            fields.Sort((a, b) => Array.IndexOf(KeyOrder, a.Key) - Array.IndexOf(KeyOrder, b.Key));
        }

        var hex = new StringBuilder($"{0x80 | fields.Count:x2}");
        foreach (var (key, value) in fields)
        {
            hex.Append(Str(Encoding.ASCII.GetBytes(key))).Append(value);
        }

        return SpecVectors.Hex(hex.ToString());
    }

    /// <summary>"a", a byte that is never valid UTF-8, "b".</summary>
    private const string Invalid = "61ff62";

    public static TheoryData<string, string> InvalidUtf8 => new()
    {
        { "source", Str(Invalid) },
        { "dest", Str(Invalid) },
        { "transaction_uuid", Str(Invalid) },
        { "content_type", Str(Invalid) },
        { "accept", Str(Invalid) },
        { "path", Str(Invalid) },
        { "session_id", Str(Invalid) },
        { "service_name", Str(Invalid) },
        { "url", Str(Invalid) },
        { "headers", "92" + Str("ok"u8) + Str(Invalid) },
        { "partner_ids", "92" + Str(Invalid) + Str("ok"u8) },
        { "metadata", "82" + Str("k"u8) + Str("v"u8) + Str(Invalid) + Str("v"u8) },
        { "metadata", "82" + Str("k"u8) + Str("v"u8) + Str("k2"u8) + Str(Invalid) },
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public void Invalid_utf8_in_any_lazily_created_field_decodes_as_wrp_go_and_fails_validation(string field, string valueHex)
    {
        var input = ValidWith(field, valueHex);
        Assert.True(WrpValidator.IsValid(WrpMsgPack.Decode(ValidWith(field, null))), "the base message is valid");

        // wrp-go decodes invalid UTF-8 (SPEC.md §2) and its validator rejects it; the endpoint answers 400 either way.
        var message = WrpMsgPack.Decode(input);
        var error = Assert.Throws<WrpValidationException>(() => WrpValidator.Validate(message));
        Assert.Equal(field, error.Field);
        Assert.Equal("utf8", error.Rule);
        AssertBehavesLikeEager(input);

        // The bytes are kept: re-encoding gives them back.
        Assert.Equal(input, WrpMsgPack.Encode(message));
    }

    [Theory]
    [InlineData("headers")]
    [InlineData("partner_ids")]
    [InlineData("metadata")]
    public void Valid_non_ascii_collections_are_valid(string field)
    {
        var e = "c3a9"; // é
        var value = field == "metadata" ? "81" + Str(e) + Str(e) : "92" + Str(e) + Str("a"u8);
        var message = WrpMsgPack.Decode(ValidWith(field, value));
        Assert.True(WrpValidator.IsValid(message));
        AssertBehavesLikeEager(ValidWith(field, value));
    }

    [Fact]
    public void A_repeated_metadata_key_is_validated_on_its_last_value()
    {
        // wrp-go assigns into a map, so only the last value of a key is kept (and validated).
        var overwritten = ValidWith("metadata", "82" + Str("k"u8) + Str(Invalid) + Str("k"u8) + Str("ok"u8));
        Assert.True(WrpValidator.IsValid(WrpMsgPack.Decode(overwritten)));
        AssertBehavesLikeEager(overwritten);

        var last = ValidWith("metadata", "82" + Str("k"u8) + Str("ok"u8) + Str("k"u8) + Str(Invalid));
        Assert.False(WrpValidator.IsValid(WrpMsgPack.Decode(last)));
        AssertBehavesLikeEager(last);
    }

    [Fact]
    public void Structural_errors_in_lazily_created_fields_still_fail_at_decode()
    {
        // A bin element in headers, a nil metadata value, a str payload, a truncated partner id: all before the
        // message exists, with the field and offset, whatever is read later.
        string[] inputs =
        [
            $"83 {SpecVectors.KMsgType} 04 {SpecVectors.KHeaders} 92a161c40161 {SpecVectors.KQos} 00",
            $"83 {SpecVectors.KMsgType} 04 {SpecVectors.KMetadata} 81a161c0 {SpecVectors.KQos} 00",
            $"83 {SpecVectors.KMsgType} 04 {SpecVectors.KPayload} a161 {SpecVectors.KQos} 00",
            $"82 {SpecVectors.KMsgType} 04 {SpecVectors.KPartnerIds} 91a3",
            $"82 {SpecVectors.KMsgType} 04 {SpecVectors.KSessionId} c0",
        ];
        foreach (var hex in inputs)
        {
            var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(SpecVectors.Hex(hex)));
            Assert.NotNull(error.Offset);
        }
    }

    [Fact]
    public void Messages_larger_than_64_KiB_keep_header_offsets_and_behave_the_same()
    {
        // Past 64 KiB str and bin fields are found again from their headers; put fields on both sides of the payload.
        var big = new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = "mac:112233445566",
            Destination = "event:x/" + new string('d', 300),
            TransactionUuid = "t\uDCFFu", // an invalid byte, kept
            Headers = ["h1", "h2"],
            Metadata = new Dictionary<string, string> { ["k"] = new string('v', 70_000) },
            Payload = Enumerable.Range(0, 70_000).Select(i => (byte)i).ToArray(),
            PartnerIds = ["p\u00e9"],
            SessionId = "s",
        };
        var bytes = WrpMsgPack.Encode(big);
        Assert.True(bytes.Length > ushort.MaxValue);
        var message = WrpMsgPack.Decode(bytes);
        Assert.Equal(big, message);
        Assert.Equal(bytes, WrpMsgPack.Encode(message));
        var error = Assert.Throws<WrpValidationException>(() => WrpValidator.Validate(message));
        Assert.Equal("transaction_uuid", error.Field);
        AssertBehavesLikeEager(bytes);

        // Non-canonical (an unknown key first), so encoding goes field by field from the header offsets.
        var reordered = SpecVectors.Concat([0xde, 0x00, (byte)(bytes[0] - 0x80 + 1), 0xa1, 0x78, 0x01], bytes[1..]);
        Assert.Null(WrpMsgPack.Decode(reordered).CanonicalWire);
        Assert.Equal(bytes, WrpMsgPack.Encode(WrpMsgPack.Decode(reordered)));
        AssertBehavesLikeEager(reordered);
    }

    [Fact]
    public void Multi_segment_input_gives_a_message_that_behaves_the_same()
    {
        var bytes = WrpMsgPack.Encode(AllFields);
        foreach (var size in new[] { 1, 3, 7, 64 })
        {
            var message = WrpMsgPack.Decode(SpecVectors.Segmented(bytes, size), out long consumed);
            Assert.Equal(bytes.Length, consumed);
            Assert.Equal(AllFields, message);
            Assert.True(WrpValidator.TryValidate(message, out var error) == WrpValidator.TryValidate(AllFields, out var expected));
            Assert.Equal(expected?.Message, error?.Message);
            Assert.Equal(bytes, WrpMsgPack.Encode(message));
        }
    }

    private static WrpMessage? TryDecode(byte[] bytes)
    {
        try
        {
            return WrpMsgPack.Decode(bytes);
        }
        catch (WrpFormatException)
        {
            return null;
        }
    }
}
