using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// The encoder's fast path for a message built in code (not decoded) whose strings are all ASCII, the common case:
/// it computes the exact size first (for ASCII, a string's byte length is its char count), asks the destination for
/// that one span, and writes the whole message into it: the keys as precomputed bytes, the msgpack headers by hand
/// with the same choices as <see cref="WrpMsgPackEncoder"/> (msgp's rules, SPEC.md §2), and each string narrowed char
/// to byte with <see cref="Ascii.FromUtf16(ReadOnlySpan{char}, Span{byte}, out int)"/>.
/// </summary>
/// <remarks>
/// A string that is not ASCII (including any surrogate) stops it before anything is committed, and so does anything
/// else it does not handle (metadata that is a decoded message's view, a message larger than
/// <see cref="MaxBytes"/>, a collection that changed between the two passes): it returns false and
/// <see cref="WrpMsgPackEncoder"/> writes the message instead, so the bytes are always those of the general path.
/// </remarks>
internal static class WrpMsgPackAsciiEncoder
{
    /// <summary>
    /// Larger messages go through the general path, which asks the writer for room one value at a time (their cost is
    /// copying the payload, and a huge single span would be a huge buffer for a pipe).
    /// </summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>Writes a message that was not decoded from msgpack, if all its strings are ASCII.</summary>
    /// <param name="message">The message (<see cref="WrpMessage.HasWire"/> false).</param>
    /// <param name="output">The destination; advanced only when the whole message was written.</param>
    /// <returns>Whether the message was written; when not, nothing was committed to <paramref name="output"/>.</returns>
    public static bool TryWrite(WrpMessage message, IBufferWriter<byte> output)
    {
        var source = message.Source;
        var destination = message.Destination;
        var transactionUuid = message.TransactionUuid;
        var contentType = message.ContentType;
        var accept = message.Accept;
        var status = message.Status;
        var rdr = message.RequestDeliveryResponse;
        var headers = message.Headers;
        var metadata = message.Metadata;
        var path = message.Path;
        var payload = message.Payload;
        var serviceName = message.ServiceName;
        var url = message.Url;
        var partnerIds = message.PartnerIds;
        var sessionId = message.SessionId;
        var type = (long)message.Type;
        var qos = message.QualityOfService;
        if (metadata is WrpWireMetadata)
        {
            return false; // a decoded message's metadata in a new message: the general path copies its bytes
        }

        // The size, in the order the fields are written. msg_type and qos are always there.
        var count = 2;
        long size = WrpMsgPackKeys.MsgType.Length + IntegerSize(type) + WrpMsgPackKeys.Qos.Length + IntegerSize(qos);
        AddString(ref count, ref size, WrpMsgPackKeys.Source.Length, source);
        AddString(ref count, ref size, WrpMsgPackKeys.Dest.Length, destination);
        AddString(ref count, ref size, WrpMsgPackKeys.TransactionUuid.Length, transactionUuid);
        AddString(ref count, ref size, WrpMsgPackKeys.ContentType.Length, contentType);
        AddString(ref count, ref size, WrpMsgPackKeys.Accept.Length, accept);
        if (status.HasValue)
        {
            count++;
            size += WrpMsgPackKeys.Status.Length + IntegerSize(status.GetValueOrDefault());
        }

        if (rdr.HasValue)
        {
            count++;
            size += WrpMsgPackKeys.Rdr.Length + IntegerSize(rdr.GetValueOrDefault());
        }

        // The collections' sizes, for the second pass: their contents are written into exactly this much.
        var headersSize = headers is null ? 0 : ListSize(headers);
        var metadataSize = metadata is null ? 0 : MetadataSize(metadata);
        var partnerIdsSize = partnerIds is null ? 0 : ListSize(partnerIds);
        if (headers is not null)
        {
            count++;
            size += WrpMsgPackKeys.Headers.Length + headersSize;
        }

        if (metadata is not null)
        {
            count++;
            size += WrpMsgPackKeys.Metadata.Length + metadataSize;
        }

        AddString(ref count, ref size, WrpMsgPackKeys.Path.Length, path);
        if (payload is not null)
        {
            count++;
            size += WrpMsgPackKeys.Payload.Length + BinHeaderSize(payload.Length) + payload.Length;
        }

        AddString(ref count, ref size, WrpMsgPackKeys.ServiceName.Length, serviceName);
        AddString(ref count, ref size, WrpMsgPackKeys.Url.Length, url);
        if (partnerIds is not null)
        {
            count++;
            size += WrpMsgPackKeys.PartnerIds.Length + partnerIdsSize;
        }

        AddString(ref count, ref size, WrpMsgPackKeys.SessionId.Length, sessionId);
        size += CollectionHeaderSize(count);
        if (size > MaxBytes)
        {
            return false;
        }

        var span = output.GetSpan((int)size)[..(int)size];
        // Every write below fits: the keys, integers and payload are as sized, the strings are immutable (an ASCII
        // one is as long as sized; any other stops the write), and each collection gets exactly its own size.
        var at = WriteCollectionHeader(span, MapFix, MapHeader16, MapHeader32, count);
        at = Write(span, at, WrpMsgPackKeys.MsgType);
        at = WriteInteger(span, at, type);
        if (!TryWriteString(span, ref at, WrpMsgPackKeys.Source, source)
            || !TryWriteString(span, ref at, WrpMsgPackKeys.Dest, destination)
            || !TryWriteString(span, ref at, WrpMsgPackKeys.TransactionUuid, transactionUuid)
            || !TryWriteString(span, ref at, WrpMsgPackKeys.ContentType, contentType)
            || !TryWriteString(span, ref at, WrpMsgPackKeys.Accept, accept))
        {
            return false;
        }

        if (status.HasValue)
        {
            at = Write(span, at, WrpMsgPackKeys.Status);
            at = WriteInteger(span, at, status.GetValueOrDefault());
        }

        if (rdr.HasValue)
        {
            at = Write(span, at, WrpMsgPackKeys.Rdr);
            at = WriteInteger(span, at, rdr.GetValueOrDefault());
        }

        if (headers is not null)
        {
            at = Write(span, at, WrpMsgPackKeys.Headers);
            if (!TryWriteList(span.Slice(at, (int)headersSize), headers))
            {
                return false;
            }

            at += (int)headersSize;
        }

        if (metadata is not null)
        {
            at = Write(span, at, WrpMsgPackKeys.Metadata);
            if (!TryWriteMetadata(span.Slice(at, (int)metadataSize), metadata))
            {
                return false;
            }

            at += (int)metadataSize;
        }

        if (!TryWriteString(span, ref at, WrpMsgPackKeys.Path, path))
        {
            return false;
        }

        if (payload is not null)
        {
            at = Write(span, at, WrpMsgPackKeys.Payload);
            at = WriteBinHeader(span, at, payload.Length);
            at = Write(span, at, payload);
        }

        if (!TryWriteString(span, ref at, WrpMsgPackKeys.ServiceName, serviceName)
            || !TryWriteString(span, ref at, WrpMsgPackKeys.Url, url))
        {
            return false;
        }

        if (partnerIds is not null)
        {
            at = Write(span, at, WrpMsgPackKeys.PartnerIds);
            if (!TryWriteList(span.Slice(at, (int)partnerIdsSize), partnerIds))
            {
                return false;
            }

            at += (int)partnerIdsSize;
        }

        if (!TryWriteString(span, ref at, WrpMsgPackKeys.SessionId, sessionId))
        {
            return false;
        }

        at = Write(span, at, WrpMsgPackKeys.Qos);
        at = WriteInteger(span, at, qos);
        output.Advance(at);
        return true;
    }

    private const byte MapFix = 0x80;
    private const byte MapHeader16 = 0xDE;
    private const byte MapHeader32 = 0xDF;
    private const byte ArrayFix = 0x90;
    private const byte ArrayHeader16 = 0xDC;
    private const byte ArrayHeader32 = 0xDD;

    /// <summary>A string field: written only when non-empty (a key, a str header and one byte per char).</summary>
    private static void AddString(ref int count, ref long size, int keyLength, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            count++;
            size += keyLength + StringSize(value.Length);
        }
    }

    /// <summary>A str of <paramref name="length"/> ASCII chars: header (msgp <c>AppendString</c>) and content.</summary>
    private static long StringSize(int length) => length switch
    {
        <= 31 => 1,
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        _ => 5,
    } + (long)length;

    private static int BinHeaderSize(int length) => length switch
    {
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        _ => 5,
    };

    private static int CollectionHeaderSize(int count) => count switch
    {
        <= 15 => 1,
        <= ushort.MaxValue => 3,
        _ => 5,
    };

    /// <summary>msgp <c>AppendInt64</c>, as <see cref="WrpMsgPackEncoder.WriteInteger"/>.</summary>
    private static int IntegerSize(long value) => value switch
    {
        >= -32 and <= 127 => 1,
        >= sbyte.MinValue and < 0 => 2,
        >= short.MinValue and <= short.MaxValue => 3,
        >= int.MinValue and <= int.MaxValue => 5,
        _ => 9,
    };

    private static long ListSize(IReadOnlyList<string> values)
    {
        var count = values.Count;
        var size = (long)CollectionHeaderSize(count);
        for (var i = 0; i < count; i++)
        {
            size += StringSize(values[i]?.Length ?? 0);
        }

        return size;
    }

    private static long MetadataSize(IReadOnlyDictionary<string, string> metadata)
    {
        var size = (long)CollectionHeaderSize(metadata.Count);

        // The concrete types enumerate with struct enumerators; the interface fallback boxes one enumerator.
        switch (metadata)
        {
            case Dictionary<string, string> dictionary:
                foreach (var (key, value) in dictionary)
                {
                    size += StringSize(key.Length) + StringSize(value?.Length ?? 0);
                }

                break;
            case OrderedDictionary<string, string> ordered:
                foreach (var (key, value) in ordered)
                {
                    size += StringSize(key.Length) + StringSize(value?.Length ?? 0);
                }

                break;
            default:
                foreach (var (key, value) in metadata)
                {
                    size += StringSize(key?.Length ?? 0) + StringSize(value?.Length ?? 0);
                }

                break;
        }

        return size;
    }

    private static int Write(Span<byte> span, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[at..]);
        return at + bytes.Length;
    }

    private static int WriteInteger(Span<byte> span, int at, long value)
    {
        switch (value)
        {
            case >= -32 and <= 127:
                span[at] = unchecked((byte)value);
                return at + 1;
            case >= sbyte.MinValue and < 0:
                span[at] = 0xD0;
                span[at + 1] = unchecked((byte)value);
                return at + 2;
            case >= short.MinValue and <= short.MaxValue:
                span[at] = 0xD1;
                BinaryPrimitives.WriteInt16BigEndian(span[(at + 1)..], (short)value);
                return at + 3;
            case >= int.MinValue and <= int.MaxValue:
                span[at] = 0xD2;
                BinaryPrimitives.WriteInt32BigEndian(span[(at + 1)..], (int)value);
                return at + 5;
            default:
                span[at] = 0xD3;
                BinaryPrimitives.WriteInt64BigEndian(span[(at + 1)..], value);
                return at + 9;
        }
    }

    /// <summary>A map or array header (msgp): fix form up to 15, then 16-bit, then 32-bit counts.</summary>
    private static int WriteCollectionHeader(Span<byte> span, byte fix, byte code16, byte code32, int count)
    {
        if (count <= 15)
        {
            span[0] = (byte)(fix | count);
            return 1;
        }

        if (count <= ushort.MaxValue)
        {
            span[0] = code16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)count);
            return 3;
        }

        span[0] = code32;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)count);
        return 5;
    }

    /// <summary>
    /// An array of str into exactly <paramref name="span"/> (the size the first pass found); false if it does not fill
    /// it exactly (a string that is not ASCII, or a list that changed).
    /// </summary>
    private static bool TryWriteList(Span<byte> span, IReadOnlyList<string> values)
    {
        var count = values.Count;
        if (span.Length < CollectionHeaderSize(count))
        {
            return false;
        }

        var at = WriteCollectionHeader(span, ArrayFix, ArrayHeader16, ArrayHeader32, count);
        if (values is string[] array)
        {
            foreach (var value in array)
            {
                if (!TryWriteStr(span, ref at, value))
                {
                    return false;
                }
            }
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                if (!TryWriteStr(span, ref at, values[i]))
                {
                    return false;
                }
            }
        }

        return at == span.Length;
    }

    /// <summary>The metadata map into exactly <paramref name="span"/>, in the dictionary's order, as <see cref="TryWriteList"/>.</summary>
    private static bool TryWriteMetadata(Span<byte> span, IReadOnlyDictionary<string, string> metadata)
    {
        var count = metadata.Count;
        if (span.Length < CollectionHeaderSize(count))
        {
            return false;
        }

        var at = WriteCollectionHeader(span, MapFix, MapHeader16, MapHeader32, count);
        switch (metadata)
        {
            case Dictionary<string, string> dictionary:
                foreach (var (key, value) in dictionary)
                {
                    if (!TryWriteStr(span, ref at, key) || !TryWriteStr(span, ref at, value))
                    {
                        return false;
                    }
                }

                break;
            case OrderedDictionary<string, string> ordered:
                foreach (var (key, value) in ordered)
                {
                    if (!TryWriteStr(span, ref at, key) || !TryWriteStr(span, ref at, value))
                    {
                        return false;
                    }
                }

                break;
            default:
                foreach (var (key, value) in metadata)
                {
                    if (!TryWriteStr(span, ref at, key) || !TryWriteStr(span, ref at, value))
                    {
                        return false;
                    }
                }

                break;
        }

        return at == span.Length;
    }

    private static int WriteBinHeader(Span<byte> span, int at, int length)
    {
        if (length <= byte.MaxValue)
        {
            span[at] = 0xC4;
            span[at + 1] = (byte)length;
            return at + 2;
        }

        if (length <= ushort.MaxValue)
        {
            span[at] = 0xC5;
            BinaryPrimitives.WriteUInt16BigEndian(span[(at + 1)..], (ushort)length);
            return at + 3;
        }

        span[at] = 0xC6;
        BinaryPrimitives.WriteUInt32BigEndian(span[(at + 1)..], (uint)length);
        return at + 5;
    }

    /// <summary>A str: the header for its length, then the chars narrowed to bytes; false if one is not ASCII or the span is short.</summary>
    private static bool TryWriteStr(Span<byte> span, ref int at, string? value)
    {
        var length = value?.Length ?? 0;
        var rest = span[at..];
        var header = length switch
        {
            <= 31 => 1,
            <= byte.MaxValue => 2,
            <= ushort.MaxValue => 3,
            _ => 5,
        };
        if (rest.Length - header < length)
        {
            return false;
        }

        switch (header)
        {
            case 1:
                rest[0] = (byte)(0xA0 | length);
                break;
            case 2:
                rest[0] = 0xD9;
                rest[1] = (byte)length;
                break;
            case 3:
                rest[0] = 0xDA;
                BinaryPrimitives.WriteUInt16BigEndian(rest[1..], (ushort)length);
                break;
            default:
                rest[0] = 0xDB;
                BinaryPrimitives.WriteUInt32BigEndian(rest[1..], (uint)length);
                break;
        }

        if (!WrpMsgPackUtf8.TryNarrowAscii(value, rest.Slice(header, length)))
        {
            return false;
        }

        at += header + length;
        return true;
    }

    /// <summary>A string field: key and str when the value is non-empty.</summary>
    private static bool TryWriteString(Span<byte> span, ref int at, ReadOnlySpan<byte> key, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        if (!key.TryCopyTo(span[at..]))
        {
            return false;
        }

        at += key.Length;
        return TryWriteStr(span, ref at, value);
    }
}
