using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Argus;

/// <summary>Where one item of an Argus answer lies in its bytes (nothing is copied out of the answer).</summary>
/// <param name="IdStart">The offset of the 64 id characters.</param>
/// <param name="DataStart">The offset of the <c>data</c> object.</param>
/// <param name="DataLength">The length of the <c>data</c> object.</param>
internal readonly record struct ArgusItemRef(int IdStart, int DataStart, int DataLength)
{
    public const int IdLength = 64;

    public ReadOnlySpan<byte> Id(ReadOnlySpan<byte> json) => json.Slice(IdStart, IdLength);

    public ReadOnlySpan<byte> Data(ReadOnlySpan<byte> json) => json.Slice(DataStart, DataLength);
}

/// <summary>Reads and writes Argus items (<c>{"id", "data", "ttl"}</c>) whose data is a norn.</summary>
internal static class ArgusItems
{
    /// <summary>Whether <paramref name="id"/> is an Argus item id (and so a norn id): 64 lowercase hex characters.</summary>
    public static bool IsValidId(string? id) => id is { Length: ArgusItemRef.IdLength } && IsHex(id.AsSpan());

    /// <summary>
    /// Finds the items of a bucket listing (a JSON array of items) and appends them to <paramref name="items"/>. Items
    /// without a well-formed id or without an object <c>data</c> are counted in the result and skipped.
    /// </summary>
    /// <returns>How many array elements were skipped.</returns>
    /// <exception cref="JsonException">The answer is not a JSON array of objects.</exception>
    public static int ParseListing(ReadOnlySpan<byte> json, List<ArgusItemRef> items)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("An Argus bucket listing is not a JSON array.");
        }

        var skipped = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (TryReadItem(ref reader, out var item))
            {
                items.Add(item);
            }
            else
            {
                skipped++;
            }
        }

        return skipped;
    }

    /// <summary>Reads one item (GET of an id): where its data lies, or <see langword="false"/> when it has none.</summary>
    public static bool TryParseItem(ReadOnlySpan<byte> json, out ArgusItemRef item)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
        item = default;
        return reader.Read() && TryReadItem(ref reader, out item);
    }

    /// <summary>The norn in an item's data, or <see langword="null"/> when the data is not a norn of that id.</summary>
    public static Norn? ReadNorn(ReadOnlySpan<byte> id, ReadOnlySpan<byte> data)
    {
        Norn? norn;
        try
        {
            norn = JsonSerializer.Deserialize(data, ArgusJsonContext.Default.Norn);
        }
        catch (JsonException)
        {
            return null;
        }

        // Required members are enforced by the serializer; the id must also be the item's, or the item is foreign.
        return norn is not null && norn.Id?.Length == ArgusItemRef.IdLength && IdEquals(id, norn.Id) ? norn : null;
    }

    /// <summary>The norn document: the item's <c>data</c>.</summary>
    public static byte[] SerializeNorn(Norn norn) => JsonSerializer.SerializeToUtf8Bytes(norn, ArgusJsonContext.Default.Norn);

    /// <summary>The body of a PUT: <c>{"id", "data", "ttl"}</c>.</summary>
    public static byte[] SerializeItem(string id, ReadOnlySpan<byte> data, long ttlSeconds)
    {
        var buffer = new ArrayBufferWriter<byte>(data.Length + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, id);
            writer.WritePropertyName("data"u8);
            writer.WriteRawValue(data, skipInputValidation: true);
            writer.WriteNumber("ttl"u8, ttlSeconds);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A 128-bit digest of bytes (truncated SHA-256): equal digests mean equal content, so a poll needs to keep
    /// nothing of an item but this.
    /// </summary>
    public static UInt128 Digest(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, hash);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    /// <summary>
    /// The digest of a norn's content, independent of how Argus re-encodes the document: Argus keeps <c>data</c> as a
    /// map and writes its keys in its own order, which changes the bytes but not the norn. Serialising the norn again
    /// (with its metadata in ordinal key order, the only member whose order comes from the input) gives the same bytes
    /// for the same norn whoever wrote it.
    /// </summary>
    public static UInt128 ContentDigest(Norn norn)
    {
        if (norn.Filter?.Metadata is { Count: > 1 } metadata && !IsOrdinallySorted(metadata.Keys))
        {
            var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in metadata)
            {
                sorted[pair.Key] = pair.Value;
            }

            norn = norn with { Filter = norn.Filter with { Metadata = sorted } };
        }

        return Digest(SerializeNorn(norn));
    }

    private static bool TryReadItem(ref Utf8JsonReader reader, out ArgusItemRef item)
    {
        item = default;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return false;
        }

        var idStart = -1;
        var dataStart = -1;
        var dataLength = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped
                    && reader.ValueSpan.Length == ArgusItemRef.IdLength && IsHex(reader.ValueSpan))
                {
                    // TokenStartIndex is the opening quote.
                    idStart = (int)reader.TokenStartIndex + 1;
                }
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    dataStart = (int)reader.TokenStartIndex;
                    reader.Skip();
                    dataLength = (int)reader.BytesConsumed - dataStart;
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (idStart < 0 || dataStart < 0)
        {
            return false;
        }

        item = new ArgusItemRef(idStart, dataStart, dataLength);
        return true;
    }

    private static bool IdEquals(ReadOnlySpan<byte> id, string text)
    {
        for (var i = 0; i < id.Length; i++)
        {
            if (id[i] != text[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsHex(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
        {
            if (b is not ((>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f')))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsOrdinallySorted(IEnumerable<string> keys)
    {
        string? previous = null;
        foreach (var key in keys)
        {
            if (previous is not null && string.CompareOrdinal(previous, key) > 0)
            {
                return false;
            }

            previous = key;
        }

        return true;
    }
}
