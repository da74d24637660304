using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>
/// The decoder's fast path (<see cref="WrpMsgPackSpanDecoder"/>) finds exactly what the general decoder finds
/// (<see cref="WrpMsgPackDecoder.DecodeWithReader"/>: field offsets, ASCII flags, the encoder's-form flag, the
/// integers), and declines everything the general decoder rejects.
/// </summary>
public class WrpMsgPackSpanDecoderTests(ITestOutputHelper output)
{
    public static TheoryData<int, string> FieldValues => new()
    {
        // Every field kind, in the encoder's form and in other forms the general decoder accepts.
        { 1, $"{SpecVectors.KSource} a3616263" },
        { 1, $"{SpecVectors.KSource} d903616263" },
        { 1, $"{SpecVectors.KSource} da0003616263" },
        { 1, $"{SpecVectors.KSource} db00000003616263" },
        { 1, $"{SpecVectors.KSource} a0" },
        { 1, $"{SpecVectors.KSource} a2c3a9" },
        { 4, $"{SpecVectors.KDest} a3616263 {SpecVectors.KTransactionUuid} a178 {SpecVectors.KContentType} a179 {SpecVectors.KAccept} a17a" },
        { 4, $"{SpecVectors.KPath} a170 {SpecVectors.KServiceName} a16e {SpecVectors.KUrl} a175 {SpecVectors.KSessionId} a169" },
        { 1, $"{SpecVectors.KStatus} c0" },
        { 2, $"{SpecVectors.KStatus} 00 {SpecVectors.KRdr} ff" },
        { 2, $"{SpecVectors.KStatus} cc80 {SpecVectors.KRdr} cd0100" },
        { 2, $"{SpecVectors.KStatus} ce00010000 {SpecVectors.KRdr} cf0000000100000000" },
        { 1, $"{SpecVectors.KStatus} cf7fffffffffffffff" },
        { 2, $"{SpecVectors.KStatus} d0df {SpecVectors.KRdr} d0ff" },
        { 2, $"{SpecVectors.KStatus} d1fb2e {SpecVectors.KRdr} d10001" },
        { 2, $"{SpecVectors.KStatus} d2fffe0000 {SpecVectors.KRdr} d200000001" },
        { 2, $"{SpecVectors.KStatus} d38000000000000000 {SpecVectors.KRdr} d30000000000000001" },
        { 1, $"{SpecVectors.KHeaders} 90" },
        { 1, $"{SpecVectors.KHeaders} 92a161a162" },
        { 1, $"{SpecVectors.KHeaders} dc0002a161a162" },
        { 1, $"{SpecVectors.KHeaders} dd00000002a161a162" },
        { 1, $"{SpecVectors.KHeaders} 92a161a2c3a9" },
        { 2, $"{SpecVectors.KHeaders} 92a161a162 {SpecVectors.KHeaders} 90" },
        { 2, $"{SpecVectors.KPartnerIds} 91a170 {SpecVectors.KPartnerIds} 91a2c3a9" },
        { 1, $"{SpecVectors.KMetadata} 80" },
        { 1, $"{SpecVectors.KMetadata} 81a16ba176" },
        { 1, $"{SpecVectors.KMetadata} de0001a16ba176" },
        { 1, $"{SpecVectors.KMetadata} df00000001a16ba176" },
        { 1, $"{SpecVectors.KMetadata} 82a16ba176a16ba177" },
        { 1, $"{SpecVectors.KMetadata} 81a16ba2c3a9" },
        { 1, $"{SpecVectors.KPayload} c400" },
        { 1, $"{SpecVectors.KPayload} c40101" },
        { 1, $"{SpecVectors.KPayload} c5000101" },
        { 1, $"{SpecVectors.KPayload} c60000000101" },
        { 2, $"{SpecVectors.KPayload} c40101 {SpecVectors.KPayload} c400" },
        { 1, "d90470617468 a170" },
        { 1, $"{SpecVectors.KQos} 05" },
    };

    [Theory]
    [MemberData(nameof(FieldValues))]
    public void Every_field_kind_and_header_width_gives_the_general_decoders_findings(int keys, string entries)
    {
        foreach (var (before, after) in new[] { ("04", "00"), ("d10004", "d0ff") })
        {
            var count = 2 + keys;
            var input = SpecVectors.Hex($"{(byte)(0x80 | count):x2} {SpecVectors.KMsgType} {before} {entries} {SpecVectors.KQos} {after}");
            Assert.True(AssertSameFindings(input), $"the fast path declined {entries}");
        }
    }

    [Fact]
    public void Unknown_and_bin_keys_are_left_to_the_general_decoder()
    {
        Assert.False(FastAccepts(SpecVectors.Hex($"83 {SpecVectors.KMsgType} 04 a178 92c0c0 {SpecVectors.KQos} 00")));
        Assert.False(FastAccepts(SpecVectors.Hex($"82 c4086d73675f7479706504 {SpecVectors.KQos} 00")));
        Assert.Equal(MessageType.SimpleEvent, WrpMsgPack.Decode(SpecVectors.Hex($"83 {SpecVectors.KMsgType} 04 a178 92c0c0 {SpecVectors.KQos} 00")).Type);
    }

    [Fact]
    public void Every_vector_and_every_truncation_of_it_gives_the_general_decoders_outcome()
    {
        var compared = 0;
        foreach (var seed in WrpFuzzTests.Seeds())
        {
            for (var length = 0; length <= seed.Length; length++)
            {
                AssertSameFindings(seed[..length]);
                compared++;
            }
        }

        output.WriteLine($"{compared} inputs compared");
    }

    [Fact]
    public void Mutated_inputs_give_the_general_decoders_outcome()
    {
        var seeds = WrpFuzzTests.Seeds();
        var random = new Random(0x5350_414E); // "SPAN"
        var fast = 0;
        for (var i = 0; i < 50_000; i++)
        {
            if (AssertSameFindings(WrpFuzzTests.Generate(random, seeds)))
            {
                fast++;
            }
        }

        output.WriteLine($"{fast} of 50000 inputs read by the fast path");
        Assert.True(fast > 1000, $"only {fast} inputs took the fast path");
    }

    [Fact]
    public void A_message_over_64_KiB_records_header_offsets_like_the_general_decoder()
    {
        var big = new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = new string('s', 40_000),
            Headers = ["h"],
            Metadata = new Dictionary<string, string> { ["k"] = "v" },
            Payload = new byte[40_000],
            PartnerIds = ["p"],
        };
        Assert.True(AssertSameFindings(WrpMsgPack.Encode(big)));

        // And trailing bytes after a message: the input length, not the message's, decides the offsets' form.
        var small = WrpMsgPack.Encode(new WrpMessage { Type = MessageType.SimpleEvent, Source = "s" });
        Assert.True(AssertSameFindings([.. small, .. new byte[70_000]]));
    }

    private static bool FastAccepts(byte[] input) => new WrpMsgPackSpanDecoder(input, input.Length <= ushort.MaxValue).TryRead(out _);

    /// <summary>
    /// Decodes with both; when the fast path reads the input, the general decoder must accept it with the same
    /// findings; when the general decoder rejects it, the fast path must have declined. Returns whether the fast path read it.
    /// </summary>
    private static bool AssertSameFindings(byte[] input)
    {
        var fast = new WrpMsgPackSpanDecoder(input, input.Length <= ushort.MaxValue);
        var fastRead = fast.TryRead(out var fastConsumed);
        var fastMessage = fastRead ? fast.Build(input[..fastConsumed]) : null;

        WrpMessage general;
        int consumed;
        try
        {
            general = WrpMsgPackDecoder.DecodeWithReader((byte[])input.Clone(), WrpMsgPackOptions.Default, out consumed);
        }
        catch (WrpFormatException)
        {
            Assert.False(fastRead, $"the fast path read what the general decoder rejects: {Convert.ToHexStringLower(input)}");
            return false;
        }

        if (fastMessage is null)
        {
            return false;
        }

        var hex = Convert.ToHexStringLower(input);
        Assert.Equal(consumed, fastConsumed);
        Assert.True(general.WireAt.Equals(fastMessage.WireAt), $"offsets differ for {hex}");
        Assert.Equal(general.Type, fastMessage.Type);
        Assert.Equal(general.Status, fastMessage.Status);
        Assert.Equal(general.RequestDeliveryResponse, fastMessage.RequestDeliveryResponse);
        Assert.Equal(general.QualityOfService, fastMessage.QualityOfService);
        Assert.True(general.CanonicalWire is null == fastMessage.CanonicalWire is null, $"encoder's form differs for {hex}");
        Assert.Equal(general, fastMessage);
        Assert.Equal(WrpMsgPack.Encode(general), WrpMsgPack.Encode(fastMessage));
        return true;
    }
}
