using System.Diagnostics;
using System.Text.Json;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>
/// Hostile input for <see cref="WrpMsgPack.Decode(ReadOnlySpan{byte})"/>: every input either decodes or throws
/// <see cref="WrpFormatException"/>, quickly, and whatever decodes re-encodes to the same message.
/// </summary>
public class WrpFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 100_000;
    private const int Seed = 0x5752_5031; // "WRP1"

    /// <summary>Type bytes that change how a decoder reads what follows.</summary>
    private static readonly byte[] InterestingBytes =
    [
        0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9,
        0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE,
        0xDF, 0xE0, 0xFF,
    ];

    /// <summary>Headers that declare far more than any input holds.</summary>
    private static readonly byte[][] InflatedHeaders =
    [
        [0xDC, 0xFF, 0xFF], [0xDD, 0xFF, 0xFF, 0xFF, 0xFF], [0xDD, 0x80, 0x00, 0x00, 0x00],
        [0xDE, 0xFF, 0xFF], [0xDF, 0xFF, 0xFF, 0xFF, 0xFF], [0xDF, 0x80, 0x00, 0x00, 0x00],
        [0xD9, 0xFF], [0xDA, 0xFF, 0xFF], [0xDB, 0xFF, 0xFF, 0xFF, 0xFF], [0xDB, 0x80, 0x00, 0x00, 0x00],
        [0xC5, 0xFF, 0xFF], [0xC6, 0xFF, 0xFF, 0xFF, 0xFF], [0xC6, 0x80, 0x00, 0x00, 0x00],
        [0xC9, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0xC9, 0x80, 0x00, 0x00, 0x00, 0x01], [0x9F], [0x8F],
    ];

    [Fact]
    public void Random_and_mutated_inputs_decode_or_throw_WrpFormatException()
    {
        var seeds = Seeds();
        var random = new Random(Seed);
        var decoded = 0;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < Iterations; i++)
        {
            var input = Generate(random, seeds);
            if (Check(input))
            {
                decoded++;
            }

            // Every 16th input also goes through the multi-segment path, which must agree.
            if (i % 16 == 0)
            {
                CheckSegmented(input, input.Length > 4096 ? 1024 : random.Next(1, 9));
            }
        }

        output.WriteLine($"{Iterations} inputs from {seeds.Count} seeds, {decoded} decoded, {stopwatch.Elapsed.TotalSeconds:F2} s");

        // The mix must exercise both outcomes, and stay fast.
        Assert.InRange(decoded, Iterations / 20, Iterations - (Iterations / 20));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"fuzzing took {stopwatch.Elapsed}");
    }

    [Fact]
    public void Whatever_decodes_behaves_like_the_same_message_built_eagerly()
    {
        // The decoded message creates its fields lazily from its bytes; mutated inputs (unknown keys, odd int and
        // header widths, repeated keys, invalid UTF-8, ...) must validate, encode and compare as the eager message.
        var seeds = Seeds();
        var random = new Random(Seed + 1);
        var compared = 0;
        for (var i = 0; i < Iterations / 5; i++)
        {
            var input = Generate(random, seeds);
            try
            {
                _ = WrpMsgPack.Decode(input);
            }
            catch (WrpFormatException)
            {
                continue;
            }

            WrpMsgPackLazyTests.AssertBehavesLikeEager(input);
            compared++;
        }

        output.WriteLine($"{compared} decoded inputs compared");
        Assert.True(compared > Iterations / 100, $"only {compared} inputs decoded");
    }

    [Fact]
    public void Huge_declared_array_count_is_rejected_before_allocating()
    {
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 04 {SpecVectors.KHeaders} ddffffffff a161");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Equal(
            "WRP msgpack: field \"headers\": declares 4294967295 elements but only 2 bytes remain (at byte offset 19)",
            error.Message);
    }

    [Fact]
    public void Array32_count_of_2_pow_31_is_rejected()
    {
        // MessagePackReader returns this count as a negative int.
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 04 {SpecVectors.KPartnerIds} dd80000000");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Contains("field \"partner_ids\": declares 2147483648 elements", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map32_with_2_pow_32_minus_1_entries_on_a_short_input_is_rejected()
    {
        var input = SpecVectors.Hex($"dfffffffff {SpecVectors.KMsgType} 04");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Equal("WRP msgpack: top-level map: declares 4294967295 entries but only 10 bytes remain (at byte offset 0)", error.Message);

        var metadata = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 04 {SpecVectors.KMetadata} df80000000 a0a0");
        Assert.Contains(
            "field \"metadata\": declares 2147483648 entries",
            Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(metadata)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_of_a_million_arrays_fails_fast()
    {
        var input = DeepUnknown(1_000_000, 0x91);
        var stopwatch = Stopwatch.StartNew();
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Equal(
            "WRP msgpack: value of an unknown key: the value nests arrays or maps more than 64 deep (WrpMsgPackOptions.MaxSkipDepth) (at byte offset 67)",
            error.Message);

        // At wrp-go's own limit the skip is still iterative: no stack overflow, and it fails at depth 100000.
        var wrpGoLimit = new WrpMsgPackOptions { MaxSkipDepth = WrpMsgPackOptions.MsgpRecursionLimit };
        error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input, wrpGoLimit, out _));
        Assert.Equal(3 + 100_000, error.Offset);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_skipped_like_msgp()
    {
        // msgp.Skip fails when a value sits at depth 100000; 99999 nested arrays put the innermost nil at 99999.
        var wrpGoLimit = new WrpMsgPackOptions { MaxSkipDepth = WrpMsgPackOptions.MsgpRecursionLimit };
        var message = WrpMsgPack.Decode(DeepUnknown(99_999, 0x91), wrpGoLimit, out _);
        Assert.Equal(MessageType.SimpleEvent, message.Type);
        Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(DeepUnknown(100_000, 0x91), wrpGoLimit, out _));

        // The default limit: a value inside 63 containers is fine, inside 64 it is not. Maps count like arrays.
        Assert.Equal(MessageType.SimpleEvent, WrpMsgPack.Decode(DeepUnknown(63, 0x91)).Type);
        Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(DeepUnknown(64, 0x91)));
        Assert.Equal(MessageType.SimpleEvent, WrpMsgPack.Decode(DeepMapUnknown(63)).Type);
        Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(DeepMapUnknown(64)));
    }

    [Theory]
    [InlineData("a6736f75726365 dbffffffff41", "field \"source\"")]
    [InlineData("a6736f75726365 db8000000041", "field \"source\"")]
    [InlineData("a77061796c6f6164 c6ffffffff00", "field \"payload\"")]
    [InlineData("a77061796c6f6164 c68000000000", "field \"payload\"")]
    [InlineData("a178 c9ffffffff0100", "value of an unknown key")]
    [InlineData("a178 c98000000001", "value of an unknown key")]
    [InlineData("a178 dbffffffff41", "value of an unknown key")]
    [InlineData("a178 db8000000041", "value of an unknown key")]
    [InlineData("a178 c6ffffffff00", "value of an unknown key")]
    [InlineData("a178 92 c1", "value of an unknown key")]
    [InlineData("a178 ddffffffff c0", "value of an unknown key")]
    [InlineData("dbffffffff41 00", "map key")]
    [InlineData("c6ffffffff41 00", "map key")]
    [InlineData("c1 00", "map key")]
    public void Oversized_lengths_and_invalid_bytes_are_format_errors(string entry, string where)
    {
        var input = SpecVectors.Hex($"82 {SpecVectors.KMsgType} 04 {entry}");
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(input));
        Assert.Contains($"WRP msgpack: {where}: ", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Offset);
    }

    [Fact]
    public void Input_longer_than_the_limit_is_rejected_before_parsing()
    {
        var small = new WrpMsgPackOptions { MaxInputLength = 16 };
        Assert.Equal(MessageType.ServiceAlive, WrpMsgPack.Decode(SpecVectors.ServiceAlive, small, out _).Type);
        var tooLong = SpecVectors.Concat(SpecVectors.ServiceAlive, [0xc0]);
        var error = Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(tooLong, small, out _));
        Assert.Equal("WRP msgpack: the input is 17 bytes, more than the limit of 16 (WrpMsgPackOptions.MaxInputLength) (at byte offset 0)", error.Message);
        Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(SpecVectors.Segmented(tooLong, 4), small, out _));

        var huge = new byte[WrpMsgPackOptions.DefaultMaxInputLength + 1];
        Assert.Throws<WrpFormatException>(() => WrpMsgPack.Decode(huge));
    }

    [Fact]
    public void Options_reject_nonsense_limits()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WrpMsgPackOptions { MaxInputLength = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new WrpMsgPackOptions { MaxSkipDepth = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new WrpMsgPackOptions { MaxSkipDepth = 100_001 });
    }

    /// <summary>Decodes; returns whether it decoded. Any exception other than WrpFormatException fails the test.</summary>
    private static bool Check(byte[] input)
    {
        WrpMessage message;
        try
        {
            message = WrpMsgPack.Decode(input, out int consumed);
            Assert.InRange(consumed, 1, input.Length);
        }
        catch (WrpFormatException error)
        {
            Assert.NotNull(error.Offset);
            Assert.InRange(error.Offset.Value, 0, input.Length);
            return false;
        }
        catch (Exception error)
        {
            Assert.Fail($"{error.GetType().Name} ({error.Message}) for input {Describe(input)}");
            throw;
        }

        // Whatever decodes, re-encodes to bytes that decode to the same message (empty collections read as null).
        var again = WrpMsgPack.Decode(WrpMsgPack.Encode(message));
        Assert.True(Equivalent(message, again), $"re-encoding changed the message for input {Describe(input)}");
        return true;
    }

    private static void CheckSegmented(byte[] input, int segmentSize)
    {
        WrpMessage? contiguous = null, segmented = null;
        long consumed = -1, segmentedConsumed = -2;
        try
        {
            contiguous = WrpMsgPack.Decode(input, out int c);
            consumed = c;
        }
        catch (WrpFormatException)
        {
        }

        try
        {
            segmented = WrpMsgPack.Decode(SpecVectors.Segmented(input, segmentSize), out segmentedConsumed);
        }
        catch (WrpFormatException)
        {
        }
        catch (Exception error)
        {
            Assert.Fail($"{error.GetType().Name} ({error.Message}) for segmented input {Describe(input)}");
        }

        Assert.True(Equals(contiguous, segmented), $"segmented decode differs for input {Describe(input)}");
        if (contiguous is not null)
        {
            Assert.Equal(consumed, segmentedConsumed);
        }
    }

    private static bool Equivalent(WrpMessage a, WrpMessage b) =>
        a.Type == b.Type
        && a.Source == b.Source
        && a.Destination == b.Destination
        && a.TransactionUuid == b.TransactionUuid
        && a.ContentType == b.ContentType
        && a.Accept == b.Accept
        && a.Status == b.Status
        && a.RequestDeliveryResponse == b.RequestDeliveryResponse
        && Same(a.Headers, b.Headers)
        && (a.Metadata is null ? b.Metadata is null : b.Metadata is not null && a.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual(b.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal)))
        && a.Path == b.Path
        && (a.Payload ?? []).AsSpan().SequenceEqual(b.Payload ?? [])
        && a.ServiceName == b.ServiceName
        && a.Url == b.Url
        && Same(a.PartnerIds, b.PartnerIds)
        && a.SessionId == b.SessionId
        && a.QualityOfService == b.QualityOfService;

    private static bool Same(IReadOnlyList<string>? a, IReadOnlyList<string>? b) => (a ?? []).SequenceEqual(b ?? []);

    private static string Describe(byte[] input) =>
        input.Length <= 512 ? Convert.ToHexStringLower(input) : $"{Convert.ToHexStringLower(input.AsSpan(0, 256))}... ({input.Length} bytes)";

    /// <summary><c>{x: [[[...nil...]]], msg_type: 4, qos: 0}</c> with <paramref name="depth"/> containers.</summary>
    private static byte[] DeepUnknown(int depth, byte header)
    {
        var prefix = SpecVectors.Hex("83 a178");
        var suffix = SpecVectors.Hex($"{SpecVectors.KMsgType} 04 {SpecVectors.KQos} 00");
        var input = new byte[prefix.Length + depth + 1 + suffix.Length];
        prefix.CopyTo(input, 0);
        input.AsSpan(prefix.Length, depth).Fill(header);
        input[prefix.Length + depth] = 0xc0;
        suffix.CopyTo(input, prefix.Length + depth + 1);
        return input;
    }

    /// <summary>Like <see cref="DeepUnknown"/> with maps: <c>{"": {"": ... nil}}</c>.</summary>
    private static byte[] DeepMapUnknown(int depth)
    {
        var body = Enumerable.Repeat<byte[]>([0x81, 0xa0], depth).SelectMany(b => b).Append((byte)0xc0);
        return [.. SpecVectors.Hex("83 a178"), .. body, .. SpecVectors.Hex($"{SpecVectors.KMsgType} 04 {SpecVectors.KQos} 00")];
    }

    /// <summary>The hand-derived vectors, plus every msgpack entry of the shared vectors when present.</summary>
    internal static List<byte[]> Seeds()
    {
        var seeds = new List<byte[]>(SpecVectors.All);
        foreach (var entry in VectorMessages.All.Values)
        {
            if (entry.GetProperty("format").GetString() == "msgpack")
            {
                seeds.Add(VectorMessages.Bytes(entry));
                if (entry.GetProperty("wrp_go").TryGetProperty("reencoded_hex", out var reencoded)
                    && reencoded.ValueKind == JsonValueKind.String)
                {
                    seeds.Add(Convert.FromHexString(reencoded.GetString()!));
                }
            }
        }

        seeds.RemoveAll(s => s.Length == 0);
        return seeds;
    }

    internal static byte[] Generate(Random random, List<byte[]> seeds)
    {
        var roll = random.Next(1000);
        if (roll < 60)
        {
            return RandomBytes(random);
        }

        if (roll < 62)
        {
            // Deep nesting (up to 100000 levels) under an unknown key, or inside a known field.
            var depth = random.Next(1, 100_001);
            var header = random.Next(3) switch { 0 => (byte)0x91, 1 => (byte)0x9f, _ => (byte)0xdc };
            var nested = DeepUnknown(depth, header);
            if (random.Next(2) == 0)
            {
                nested[1] = 0xa7; // turn the unknown key "x" into the start of a 7-byte key: mostly garbage.
            }

            return nested;
        }

        var input = seeds[random.Next(seeds.Count)];
        var mutations = random.Next(1, 4);
        for (var i = 0; i < mutations; i++)
        {
            input = Mutate(random, input, seeds);
        }

        return input;
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 64)];
        random.NextBytes(bytes);
        if (bytes.Length > 0 && random.Next(2) == 0)
        {
            bytes[0] = (byte)(0x80 | random.Next(16)); // mostly start with a fixmap, to get past the first check
        }

        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] input, List<byte[]> seeds)
    {
        if (input.Length == 0)
        {
            return [(byte)random.Next(256)];
        }

        var at = random.Next(input.Length);
        switch (random.Next(9))
        {
            case 0: // flip 1 to 4 bits
            {
                var copy = (byte[])input.Clone();
                for (var n = random.Next(1, 5); n > 0; n--)
                {
                    copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                }

                return copy;
            }

            case 1: // truncate
                return input[..random.Next(input.Length)];
            case 2: // insert random bytes
            {
                var inserted = new byte[random.Next(1, 5)];
                random.NextBytes(inserted);
                return [.. input[..at], .. inserted, .. input[at..]];
            }

            case 3: // delete a range
                return [.. input[..at], .. input[Math.Min(input.Length, at + random.Next(1, 9))..]];
            case 4: // overwrite with a type byte
            {
                var copy = (byte[])input.Clone();
                copy[at] = InterestingBytes[random.Next(InterestingBytes.Length)];
                return copy;
            }

            case 5: // inflate a count or length: replace one byte with a header that declares a huge size
            {
                var header = InflatedHeaders[random.Next(InflatedHeaders.Length)];
                return [.. input[..at], .. header, .. input[Math.Min(input.Length, at + 1)..]];
            }

            case 6: // grow a fix container's count to its maximum
            {
                var copy = (byte[])input.Clone();
                for (var i = 0; i < copy.Length; i++)
                {
                    var index = (at + i) % copy.Length;
                    if (copy[index] is >= 0x80 and <= 0x9f)
                    {
                        copy[index] = (byte)(copy[index] | 0x0f);
                        break;
                    }
                }

                return copy;
            }

            case 7: // splice with another seed
            {
                var other = seeds[random.Next(seeds.Count)];
                return [.. input[..at], .. other[random.Next(other.Length)..]];
            }

            default: // repeat a chunk
            {
                var length = Math.Min(input.Length - at, random.Next(1, 17));
                return [.. input[..(at + length)], .. input[at..]];
            }
        }
    }
}
