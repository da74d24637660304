using MessagePack;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// Whether the bytes of a decoded message are exactly what <see cref="WrpMsgPackEncoder"/> writes for it (the form
/// wrp-go writes), so that encoding the message can copy them instead of encoding it again.
/// </summary>
/// <remarks>
/// The bytes are read with <see cref="MessagePackReader"/>; the checks only compare a header byte the reader has
/// already read with the one <see cref="MessagePackWriter"/> (like msgp) writes for the length or value the reader
/// returned. The check runs once per message, on its first encode; the decoder does not pay for it.
/// </remarks>
internal static class WrpMsgPackCanonical
{
    /// <summary>Metadata maps up to this size are checked for repeated keys; larger ones are taken as not canonical.</summary>
    private const int MaxCheckedMetadataEntries = 16;

    /// <summary>
    /// Whether <paramref name="wire"/>, a message the decoder accepted (exactly its bytes), is in the encoder's form:
    /// keys in wrp-go's order, each once, as fixstr, no unknown key; msg_type and qos present; integers in msgp's
    /// families; every header the shortest; no value the encoder leaves out or changes (an empty string, a nil
    /// status/rdr, empty headers/partner ids/payload, a metadata key twice).
    /// </summary>
    public static bool IsCanonical(byte[] wire)
    {
        var reader = new MessagePackReader(wire);
        var code = reader.NextCode;
        var count = reader.ReadMapHeader();
        if (!IsShortestMapHeader(code, count))
        {
            return false;
        }

        var previous = WrpField.Unknown;
        var typeAndQos = 0;
        for (var i = 0; i < count; i++)
        {
            code = reader.NextCode;
            if (MessagePackCode.ToMessagePackType(code) != MessagePackType.String || !reader.TryReadStringSpan(out var key)
                || code != (byte)(MessagePackCode.MinFixStr | key.Length))
            {
                return false; // a bin key, or a str key the encoder would not write that way
            }

            var field = WrpMsgPackKeys.Match(key);
            if (field <= previous)
            {
                return false; // unknown (the lowest), repeated or out of order
            }

            previous = field;
            var ok = field switch
            {
                WrpField.MsgType or WrpField.Qos => IsMsgpInteger(ref reader),
                WrpField.Status or WrpField.Rdr => !reader.IsNil && IsMsgpInteger(ref reader),
                WrpField.Headers or WrpField.PartnerIds => IsStringArray(ref reader),
                WrpField.Metadata => IsMetadata(ref reader, wire),
                WrpField.Payload => IsPayload(ref reader),
                _ => IsString(ref reader, allowEmpty: false),
            };
            if (!ok)
            {
                return false;
            }

            typeAndQos |= field switch
            {
                WrpField.MsgType => 1,
                WrpField.Qos => 2,
                _ => 0,
            };
        }

        return typeAndQos == 3 && reader.End;
    }

    private static bool IsMsgpInteger(ref MessagePackReader reader)
    {
        var code = reader.NextCode;
        return IsMsgpInteger(code, reader.ReadInt64());
    }

    private static bool IsString(ref MessagePackReader reader, bool allowEmpty)
    {
        var code = reader.NextCode;
        reader.TryReadStringSpan(out var utf8);
        return (allowEmpty || !utf8.IsEmpty) && IsShortestStrHeader(code, utf8.Length);
    }

    private static bool IsStringArray(ref MessagePackReader reader)
    {
        var code = reader.NextCode;
        var count = reader.ReadArrayHeader();
        if (count == 0 || !IsShortestArrayHeader(code, count))
        {
            return false;
        }

        for (var i = 0; i < count; i++)
        {
            if (!IsString(ref reader, allowEmpty: true))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsMetadata(ref MessagePackReader reader, ReadOnlySpan<byte> message)
    {
        var code = reader.NextCode;
        var count = reader.ReadMapHeader();
        if (!IsShortestMapHeader(code, count) || count > MaxCheckedMetadataEntries)
        {
            return false;
        }

        // The keys read so far, as (offset, length) in the message: a key written twice is written once by the encoder.
        Span<(int Start, int Length)> keys = stackalloc (int, int)[MaxCheckedMetadataEntries];
        for (var i = 0; i < count; i++)
        {
            code = reader.NextCode;
            reader.TryReadStringSpan(out var key);
            var keyStart = (int)reader.Consumed - key.Length;
            if (!IsShortestStrHeader(code, key.Length) || !IsString(ref reader, allowEmpty: true))
            {
                return false;
            }

            for (var j = 0; j < i; j++)
            {
                if (key.SequenceEqual(message.Slice(keys[j].Start, keys[j].Length)))
                {
                    return false;
                }
            }

            keys[i] = (keyStart, key.Length);
        }

        return true;
    }

    private static bool IsPayload(ref MessagePackReader reader)
    {
        var code = reader.NextCode;
        var length = reader.ReadBytes().GetValueOrDefault().Length;
        return length > 0 && IsShortestBinHeader(code, (int)length);
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
