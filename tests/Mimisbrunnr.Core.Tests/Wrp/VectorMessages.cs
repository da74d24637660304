using System.Text.Json;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>Turns the <c>message</c> objects of the shared vectors (SPEC.md §8) into <see cref="WrpMessage"/>s.</summary>
public static class VectorMessages
{
    /// <summary>Every entry of <c>vectors.json</c>, by name; empty when the shared folder is absent.</summary>
    public static IReadOnlyDictionary<string, JsonElement> All { get; } = LoadAll();

    /// <summary>Theory data: the names of the vectors, or the one sentinel row "(shared vectors not present)".</summary>
    public static TheoryData<string> Names(Func<JsonElement, bool>? where = null)
    {
        var data = new TheoryData<string>();
        foreach (var (name, entry) in All)
        {
            if (where is null || where(entry))
            {
                data.Add(name);
            }
        }

        if (data.Count == 0)
        {
            data.Add(MissingSentinel);
        }

        return data;
    }

    /// <summary>The row name used when there is nothing to test; the test calls <see cref="Get"/>, which skips.</summary>
    public const string MissingSentinel = "(shared vectors not present)";

    /// <summary>The entry of the given name; skips the test when the shared vectors are not present.</summary>
    public static JsonElement Get(string name)
    {
        if (name == MissingSentinel)
        {
            Assert.Skip(SharedVectors.MissingReason);
        }

        return All[name];
    }

    /// <summary>The bytes of an entry (<c>hex</c>).</summary>
    public static byte[] Bytes(JsonElement entry) => Convert.FromHexString(entry.GetProperty("hex").GetString()!);

    /// <summary>Builds the message an entry's <c>message</c> object describes.</summary>
    public static WrpMessage ToMessage(JsonElement m) => new()
    {
        Type = (MessageType)m.GetProperty("msg_type").GetInt64(),
        Source = Str(m, "source"),
        Destination = Str(m, "dest"),
        TransactionUuid = Str(m, "transaction_uuid"),
        ContentType = Str(m, "content_type"),
        Accept = Str(m, "accept"),
        Status = m.TryGetProperty("status", out var status) ? status.GetInt64() : null,
        RequestDeliveryResponse = m.TryGetProperty("rdr", out var rdr) ? rdr.GetInt64() : null,
        Headers = m.TryGetProperty("headers", out var headers) ? headers.EnumerateArray().Select(StrValue).ToArray() : null,
        Metadata = m.TryGetProperty("metadata", out var metadata)
            ? metadata.EnumerateObject().ToDictionary(p => p.Name, p => StrValue(p.Value), StringComparer.Ordinal)
            : null,
        Path = Str(m, "path"),
        Payload = m.TryGetProperty("payload_hex", out var payload) ? Convert.FromHexString(payload.GetString()!) : null,
        ServiceName = Str(m, "service_name"),
        Url = Str(m, "url"),
        PartnerIds = m.TryGetProperty("partner_ids", out var partners) ? partners.EnumerateArray().Select(StrValue).ToArray() : null,
        SessionId = Str(m, "session_id"),
        QualityOfService = m.TryGetProperty("qos", out var qos) ? qos.GetInt64() : 0,
    };

    private static string Str(JsonElement m, string name) =>
        m.TryGetProperty(name, out var value) ? StrValue(value) : string.Empty;

    /// <summary>
    /// A string value; <c>{"$invalid_utf8_str": hex}</c> becomes the surrogate-escaped form WrpMessage documents
    /// (each invalid byte b as U+DC80 + (b - 0x80)), which is how the decoders must represent it.
    /// </summary>
    private static string StrValue(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString()!;
        }

        // wrpc_test_11_encoded_form shows null for metadata values whose bytes are the empty string (a0).
        if (value.ValueKind == JsonValueKind.Null)
        {
            return string.Empty;
        }

        var bytes = Convert.FromHexString(value.GetProperty("$invalid_utf8_str").GetString()!);
        var builder = new System.Text.StringBuilder();
        var span = bytes.AsSpan();
        while (!span.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(span, out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.Done)
            {
                builder.Append(rune.ToString());
            }
            else
            {
                for (var i = 0; i < consumed; i++)
                {
                    builder.Append((char)(0xDC00 + span[i]));
                }
            }

            span = span[consumed..];
        }

        return builder.ToString();
    }

    private static Dictionary<string, JsonElement> LoadAll()
    {
        var root = SharedVectors.Load("vectors.json");
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (root is null)
        {
            return result;
        }

        foreach (var entry in root.Value.EnumerateArray())
        {
            result[entry.GetProperty("name").GetString()!] = entry;
        }

        return result;
    }
}
