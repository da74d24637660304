using System.Diagnostics;
using System.Text;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>
/// Mutated and random JSON through <see cref="WrpJson.Decode"/>: every input decodes or throws
/// <see cref="WrpFormatException"/>, and whatever decodes survives an encode/decode round trip.
/// </summary>
public class WrpJsonFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 120_000;
    private const int Seed = 0x5EED_0001;

    private static readonly string[] OwnSeeds =
    [
        """{"msg_type":4,"source":"self:","dest":"event:status","payload":"aGVsbG8="}""",
        """{"msg_type":3,"source":"dns:a.example.com","dest":"mac:112233445566","transaction_uuid":"t","status":200,"rdr":-1,"qos":99}""",
        """{"msg_type":4,"source":"mac:112233445566/svc","dest":"event:note","content_type":"text/html","metadata":{"/note":"\u003cb\u003ecafé \u0026 ☃\u003c/b\u003e","b":null},"payload":"PHA+eDwvcD4="}""",
        """{"MSG_TYPE":5,"path":"a\u2028\ud83d\ude00\ud800\\\"","headers":["h",null],"partner_ids":[],"payload":[104,105,null],"spans":[["a",1,2.5e-3]],"include_spans":true}""",
        """{"msg_type":9,"service_name":"svc","url":"http://x","headers":["a"],"headers":[null,null],"metadata":{"a":"1"},"metadata":{"b":"2"}}""",
        """{"msg_type":4,"source":"self:","source":null,"status":null,"payload":"aGVs\nbG8=","x":{"y":[[[{}]]]}} trailing""",
        "null",
        "[]",
    ];

    private static readonly byte[][] Tokens =
    [
        .. new[]
        {
            "{", "}", "[", "]", ":", ",", "\"", "\\", "\\u", "\\ud800", "\\udc00", "null", "true", "false", "0", "-", "1e9",
            "9223372036854775808", "0.5", " ", "\n", "\"msg_type\"", "\"payload\"", "\"headers\"", "\"metadata\"", "\"status\"",
            "\"qos\"", "\"=\"", "\"aGk=\"", "\"aGk\"", "[256]",
        }.Select(Encoding.UTF8.GetBytes),
        [0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xEF, 0xBB, 0xBF], [0x00], [0x7F],
    ];

    [Fact]
    public void Random_and_mutated_inputs_decode_or_fail_with_a_format_exception()
    {
        var corpus = OwnSeeds.Select(Encoding.UTF8.GetBytes).Concat(SharedJsonTexts()).ToArray();
        var random = new Random(Seed);
        var stopwatch = Stopwatch.StartNew();
        int decoded = 0, rejected = 0;

        for (var i = 0; i < Iterations; i++)
        {
            var input = Mutate(corpus, random);
            try
            {
                var message = WrpJson.Decode(input);
                decoded++;

                // Decoded strings are valid UTF-16, so a round trip is exact up to what JSON drops.
                var again = WrpJson.Decode(WrpJson.Encode(message));
                if (!WrpAssert.NormaliseForJson(message).Equals(again))
                {
                    Assert.Fail($"Round trip changed the message decoded from {Convert.ToHexString(input)}");
                }
            }
            catch (WrpFormatException)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"{ex.GetType().Name} for input {Convert.ToHexString(input)}: {ex}");
            }
        }

        output.WriteLine($"{Iterations} inputs ({corpus.Length} seeds, seed {Seed}): {decoded} decoded, {rejected} rejected, {stopwatch.Elapsed}");

        // The mutations must exercise both outcomes to mean anything.
        Assert.True(decoded > Iterations / 20, $"only {decoded} inputs decoded");
        Assert.True(rejected > Iterations / 20, $"only {rejected} inputs were rejected");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromMinutes(1), $"took {stopwatch.Elapsed}");
    }

    private static byte[] Mutate(byte[][] corpus, Random random)
    {
        var data = new List<byte>(corpus[random.Next(corpus.Length)]);
        var mutations = 1 + random.Next(4);
        for (var m = 0; m < mutations; m++)
        {
            switch (random.Next(10))
            {
                case 0 when data.Count > 0: // bit flip
                    var flip = random.Next(data.Count);
                    data[flip] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0: // random byte
                    data[random.Next(data.Count)] = (byte)random.Next(256);
                    break;
                case 2 when data.Count > 0: // truncate
                    var keep = random.Next(data.Count + 1);
                    data.RemoveRange(keep, data.Count - keep);
                    break;
                case 3: // insert a token
                    data.InsertRange(random.Next(data.Count + 1), Tokens[random.Next(Tokens.Length)]);
                    break;
                case 4 when data.Count > 0: // delete a span
                    var start = random.Next(data.Count);
                    data.RemoveRange(start, Math.Min(data.Count - start, 1 + random.Next(8)));
                    break;
                case 5 when data.Count > 0: // duplicate a span
                    var from = random.Next(data.Count);
                    data.InsertRange(random.Next(data.Count + 1), data.GetRange(from, Math.Min(data.Count - from, 1 + random.Next(32))));
                    break;
                case 6: // splice with another input
                    var other = corpus[random.Next(corpus.Length)];
                    var cut = random.Next(data.Count + 1);
                    data = data.Take(cut).Concat(other.Skip(random.Next(other.Length + 1))).ToList();
                    break;
                case 7 when random.Next(20) == 0: // deep nesting, around Go's limit
                    var depth = WrpJson.MaxDepth - 5 + random.Next(10);
                    var nested = "{\"x\":" + new string('[', depth) + (random.Next(2) == 0 ? new string(']', depth) + "}" : string.Empty);
                    data.InsertRange(random.Next(2) == 0 ? 0 : random.Next(data.Count + 1), Encoding.ASCII.GetBytes(nested));
                    break;
                case 8: // random bytes
                    for (var n = random.Next(8); n > 0; n--)
                    {
                        data.Insert(random.Next(data.Count + 1), (byte)random.Next(256));
                    }

                    break;
                default: // leave this round alone
                    break;
            }
        }

        return [.. data];
    }

    private static IEnumerable<byte[]> SharedJsonTexts()
    {
        foreach (var entry in VectorMessages.All.Values)
        {
            if (entry.GetProperty("format").GetString() == "json")
            {
                yield return VectorMessages.Bytes(entry);
            }

            if (entry.TryGetProperty("json_text", out var text))
            {
                yield return Encoding.UTF8.GetBytes(text.GetString()!);
            }
        }
    }
}
