using MessagePack;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// Whether a msgpack header that <see cref="MessagePackReader"/> has read is the one <see cref="WrpMsgPackEncoder"/>
/// (through <see cref="MessagePackWriter"/>, like msgp) writes for that length or value. The decoder uses these to
/// tell whether re-encoding a message would give back its bytes exactly, so that encoding can copy them.
/// </summary>
/// <remarks>They compare a header byte the reader returned with the writer's choice; they read nothing themselves.</remarks>
internal static class WrpMsgPackCanonical
{
    /// <summary>Metadata maps up to this size are checked for a repeated key; larger ones are taken to have one.</summary>
    private const int MaxCheckedMetadataEntries = 16;

    /// <summary>
    /// Whether the metadata map at the start of <paramref name="map"/> repeats a key (the encoder would write it once),
    /// or is too large to check cheaply. The map is one the decoder accepted.
    /// </summary>
    public static bool RepeatsAKey(ReadOnlyMemory<byte> map)
    {
        var reader = new MessagePackReader(map);
        var count = reader.ReadMapHeader();
        if (count > MaxCheckedMetadataEntries)
        {
            return true;
        }

        Span<(int Start, int Length)> keys = stackalloc (int, int)[MaxCheckedMetadataEntries];
        for (var i = 0; i < count; i++)
        {
            reader.TryReadStringSpan(out var key);
            var keyStart = (int)reader.Consumed - key.Length;
            for (var j = 0; j < i; j++)
            {
                if (key.SequenceEqual(map.Span.Slice(keys[j].Start, keys[j].Length)))
                {
                    return true;
                }
            }

            keys[i] = (keyStart, key.Length);
            reader.Skip(); // the value
        }

        return false;
    }

    /// <summary>msgp <c>AppendString</c>: fixstr up to 31 bytes, then str8, str16, str32.</summary>
    public static bool IsShortestStrHeader(byte code, int length) => length switch
    {
        <= MessagePackRange.MaxFixStringLength => code == (byte)(MessagePackCode.MinFixStr | length),
        <= byte.MaxValue => code == MessagePackCode.Str8,
        <= ushort.MaxValue => code == MessagePackCode.Str16,
        _ => code == MessagePackCode.Str32,
    };

    /// <summary>msgp <c>AppendBytes</c>: bin8, bin16, bin32.</summary>
    public static bool IsShortestBinHeader(byte code, int length) => length switch
    {
        <= byte.MaxValue => code == MessagePackCode.Bin8,
        <= ushort.MaxValue => code == MessagePackCode.Bin16,
        _ => code == MessagePackCode.Bin32,
    };

    /// <summary>msgp <c>AppendArrayHeader</c>: fixarray up to 15, then array16, array32.</summary>
    public static bool IsShortestArrayHeader(byte code, int count) => (uint)count switch
    {
        <= MessagePackRange.MaxFixArrayCount => code == (byte)(MessagePackCode.MinFixArray | count),
        <= ushort.MaxValue => code == MessagePackCode.Array16,
        _ => code == MessagePackCode.Array32,
    };

    /// <summary>msgp <c>AppendMapHeader</c>: fixmap up to 15, then map16, map32.</summary>
    public static bool IsShortestMapHeader(byte code, int count) => (uint)count switch
    {
        <= MessagePackRange.MaxFixMapCount => code == (byte)(MessagePackCode.MinFixMap | count),
        <= ushort.MaxValue => code == MessagePackCode.Map16,
        _ => code == MessagePackCode.Map32,
    };

    /// <summary>msgp <c>AppendInt64</c> (SPEC.md §2): fixints, then the smallest signed family; never cc..cf.</summary>
    public static bool IsMsgpInteger(byte code, long value) => value switch
    {
        >= MessagePackRange.MinFixNegativeInt and <= MessagePackRange.MaxFixPositiveInt => code == unchecked((byte)value),
        >= sbyte.MinValue and < 0 => code == MessagePackCode.Int8,
        >= short.MinValue and <= short.MaxValue => code == MessagePackCode.Int16,
        >= int.MinValue and <= int.MaxValue => code == MessagePackCode.Int32,
        _ => code == MessagePackCode.Int64,
    };
}
