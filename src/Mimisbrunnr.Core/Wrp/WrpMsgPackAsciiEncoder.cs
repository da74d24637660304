using System.Buffers;
using System.Buffers.Binary;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// The encoder's fast path for a message built in code (not decoded) whose strings are all ASCII, the common case:
/// the whole message is written into one span of the destination in one pass, the keys as precomputed bytes, the
/// msgpack headers by hand with the same choices as <see cref="WrpMsgPackEncoder"/> (msgp's rules, SPEC.md §2), and
/// each string narrowed char to byte (<see cref="WrpMsgPackUtf8.TryNarrowAscii"/>; for ASCII a string's byte length
/// is its char count, so its header is known before its bytes).
/// </summary>
/// <remarks>
/// <para>
/// The span is whatever the writer offers for a lower bound of the size (the string and payload lengths): usually
/// room for the whole message. When the message does not fit, the exact size is computed and the message written
/// again into a span of that size.
/// </para>
/// <para>
/// A string that is not ASCII (including any surrogate) stops it before anything is committed, and so does anything
/// else it does not handle (metadata that is a decoded message's view, a message that does not fit and is larger than
/// <see cref="MaxBytes"/>, a collection that changed between the two passes): it returns false and
/// <see cref="WrpMsgPackEncoder"/> writes the message instead, so the bytes are always those of the general path.
/// </para>
/// </remarks>
internal static class WrpMsgPackAsciiEncoder
{
    /// <summary>
    /// A message that does not fit in the span the writer first offers and is larger than this goes through the
    /// general path, which asks the writer for room one value at a time (a huge single span would be a huge buffer for
    /// a pipe, and the cost of such a message is copying its payload).
    /// </summary>
    public const int MaxBytes = 64 * 1024;

    private const byte MapFix = 0x80;
    private const byte MapHeader16 = 0xDE;
    private const byte MapHeader32 = 0xDF;
    private const byte ArrayFix = 0x90;
    private const byte ArrayHeader16 = 0xDC;
    private const byte ArrayHeader32 = 0xDD;

    /// <summary>Writes a message that was not decoded from msgpack, if all its strings are ASCII.</summary>
    /// <param name="message">The message (<see cref="WrpMessage.HasWire"/> false).</param>
    /// <param name="output">The destination; advanced only when the whole message was written.</param>
    /// <returns>Whether the message was written; when not, nothing was committed to <paramref name="output"/>.</returns>
    public static bool TryWrite(WrpMessage message, IBufferWriter<byte> output)
    {
        var fields = new Fields(message);
        if (fields.Metadata is WrpWireMetadata)
        {
            return false; // a decoded message's metadata in a new message: the general path copies its bytes
        }

        var count = fields.Count(out var lowerBound);
        var span = output.GetSpan(lowerBound);
        if (!TryWrite(in fields, count, span, out var written))
        {
            // Either a string is not ASCII, or the message did not fit: then try once more with the exact size.
            var size = Size(in fields, count);
            if (size <= span.Length || size > MaxBytes)
            {
                return false;
            }

            span = output.GetSpan((int)size);
            if (!TryWrite(in fields, count, span, out written))
            {
                return false;
            }
        }

        output.Advance(written);
        return true;
    }

    /// <summary>The whole message into <paramref name="span"/>; false if it does not fit or a string is not ASCII.</summary>
    private static bool TryWrite(in Fields f, int count, Span<byte> span, out int written)
    {
        written = 0;
        if (span.Length < CollectionHeaderSize(count))
        {
            return false;
        }

        var at = WriteCollectionHeader(span, MapFix, MapHeader16, MapHeader32, count);
        var ok = TryWriteInteger(span, ref at, WrpMsgPackKeys.MsgType, f.Type)
            && TryWriteString(span, ref at, WrpMsgPackKeys.Source, f.Source)
            && TryWriteString(span, ref at, WrpMsgPackKeys.Dest, f.Destination)
            && TryWriteString(span, ref at, WrpMsgPackKeys.TransactionUuid, f.TransactionUuid)
            && TryWriteString(span, ref at, WrpMsgPackKeys.ContentType, f.ContentType)
            && TryWriteString(span, ref at, WrpMsgPackKeys.Accept, f.Accept)
            && (!f.Status.HasValue || TryWriteInteger(span, ref at, WrpMsgPackKeys.Status, f.Status.GetValueOrDefault()))
            && (!f.Rdr.HasValue || TryWriteInteger(span, ref at, WrpMsgPackKeys.Rdr, f.Rdr.GetValueOrDefault()))
            && (f.Headers is null || TryWriteList(span, ref at, WrpMsgPackKeys.Headers, f.Headers))
            && (f.Metadata is null || TryWriteMetadata(span, ref at, f.Metadata))
            && TryWriteString(span, ref at, WrpMsgPackKeys.Path, f.Path)
            && (f.Payload is null || TryWritePayload(span, ref at, f.Payload))
            && TryWriteString(span, ref at, WrpMsgPackKeys.ServiceName, f.ServiceName)
            && TryWriteString(span, ref at, WrpMsgPackKeys.Url, f.Url)
            && (f.PartnerIds is null || TryWriteList(span, ref at, WrpMsgPackKeys.PartnerIds, f.PartnerIds))
            && TryWriteString(span, ref at, WrpMsgPackKeys.SessionId, f.SessionId)
            && TryWriteInteger(span, ref at, WrpMsgPackKeys.Qos, f.Qos);
        written = at;
        return ok;
    }

    /// <summary>The exact size of the message when all its strings are ASCII.</summary>
    private static long Size(in Fields f, int count)
    {
        // msg_type and qos are always there.
        var size = CollectionHeaderSize(count) + WrpMsgPackKeys.MsgType.Length + IntegerSize(f.Type)
            + WrpMsgPackKeys.Qos.Length + IntegerSize(f.Qos)
            + StringFieldSize(WrpMsgPackKeys.Source.Length, f.Source)
            + StringFieldSize(WrpMsgPackKeys.Dest.Length, f.Destination)
            + StringFieldSize(WrpMsgPackKeys.TransactionUuid.Length, f.TransactionUuid)
            + StringFieldSize(WrpMsgPackKeys.ContentType.Length, f.ContentType)
            + StringFieldSize(WrpMsgPackKeys.Accept.Length, f.Accept)
            + StringFieldSize(WrpMsgPackKeys.Path.Length, f.Path)
            + StringFieldSize(WrpMsgPackKeys.ServiceName.Length, f.ServiceName)
            + StringFieldSize(WrpMsgPackKeys.Url.Length, f.Url)
            + StringFieldSize(WrpMsgPackKeys.SessionId.Length, f.SessionId);
        if (f.Status.HasValue)
        {
            size += WrpMsgPackKeys.Status.Length + IntegerSize(f.Status.GetValueOrDefault());
        }

        if (f.Rdr.HasValue)
        {
            size += WrpMsgPackKeys.Rdr.Length + IntegerSize(f.Rdr.GetValueOrDefault());
        }

        if (f.Headers is not null)
        {
            size += WrpMsgPackKeys.Headers.Length + ListSize(f.Headers);
        }

        if (f.Metadata is not null)
        {
            size += WrpMsgPackKeys.Metadata.Length + MetadataSize(f.Metadata);
        }

        if (f.Payload is not null)
        {
            size += WrpMsgPackKeys.Payload.Length + BinHeaderSize(f.Payload.Length) + f.Payload.Length;
        }

        if (f.PartnerIds is not null)
        {
            size += WrpMsgPackKeys.PartnerIds.Length + ListSize(f.PartnerIds);
        }

        return size;
    }

    /// <summary>A string field: a key, a str header and one byte per char when non-empty, else nothing.</summary>
    private static long StringFieldSize(int keyLength, string? value) =>
        string.IsNullOrEmpty(value) ? 0 : keyLength + StringSize(value.Length);

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

    /// <summary>An integer field (key and msgp integer) if it fits.</summary>
    private static bool TryWriteInteger(Span<byte> span, ref int at, ReadOnlySpan<byte> key, long value)
    {
        if (span.Length - at < key.Length + IntegerSize(value))
        {
            return false;
        }

        at = WriteInteger(span, Write(span, at, key), value);
        return true;
    }

    /// <summary>The payload field (key, bin header and bytes) if it fits.</summary>
    private static bool TryWritePayload(Span<byte> span, ref int at, byte[] payload)
    {
        if (span.Length - at < WrpMsgPackKeys.Payload.Length + BinHeaderSize(payload.Length) + (long)payload.Length)
        {
            return false;
        }

        at = Write(span, at, WrpMsgPackKeys.Payload);
        at = WriteBinHeader(span, at, payload.Length);
        at = Write(span, at, payload);
        return true;
    }

    /// <summary>A key and a map or array header for <paramref name="count"/> entries, if they fit.</summary>
    private static bool TryWriteCollectionStart(Span<byte> span, ref int at, ReadOnlySpan<byte> key, byte fix, byte code16, byte code32, int count)
    {
        if (span.Length - at < key.Length + CollectionHeaderSize(count))
        {
            return false;
        }

        at = Write(span, at, key);
        at += WriteCollectionHeader(span[at..], fix, code16, code32, count);
        return true;
    }

    /// <summary>A list field (key and array of str); false if it does not fit or a string is not ASCII.</summary>
    private static bool TryWriteList(Span<byte> span, ref int at, ReadOnlySpan<byte> key, IReadOnlyList<string> values)
    {
        if (values is string[] array)
        {
            if (!TryWriteCollectionStart(span, ref at, key, ArrayFix, ArrayHeader16, ArrayHeader32, array.Length))
            {
                return false;
            }

            foreach (var value in array)
            {
                if (!TryWriteStr(span, ref at, value))
                {
                    return false;
                }
            }

            return true;
        }

        var count = values.Count;
        if (!TryWriteCollectionStart(span, ref at, key, ArrayFix, ArrayHeader16, ArrayHeader32, count))
        {
            return false;
        }

        for (var i = 0; i < count; i++)
        {
            if (!TryWriteStr(span, ref at, values[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The metadata field, entries in the dictionary's order; false if it does not fit or a string is not ASCII.</summary>
    private static bool TryWriteMetadata(Span<byte> span, ref int at, IReadOnlyDictionary<string, string> metadata)
    {
        if (!TryWriteCollectionStart(span, ref at, WrpMsgPackKeys.Metadata, MapFix, MapHeader16, MapHeader32, metadata.Count))
        {
            return false;
        }

        // The concrete types enumerate with struct enumerators; the interface fallback boxes one enumerator.
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

                return true;
            case OrderedDictionary<string, string> ordered:
                foreach (var (key, value) in ordered)
                {
                    if (!TryWriteStr(span, ref at, key) || !TryWriteStr(span, ref at, value))
                    {
                        return false;
                    }
                }

                return true;
            default:
                foreach (var (key, value) in metadata)
                {
                    if (!TryWriteStr(span, ref at, key) || !TryWriteStr(span, ref at, value))
                    {
                        return false;
                    }
                }

                return true;
        }
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

    /// <summary>The message's values, read once (a property of a message may do more than read a field).</summary>
    private readonly struct Fields(WrpMessage message)
    {
        public readonly long Type = (long)message.Type;
        public readonly string Source = message.Source;
        public readonly string Destination = message.Destination;
        public readonly string TransactionUuid = message.TransactionUuid;
        public readonly string ContentType = message.ContentType;
        public readonly string Accept = message.Accept;
        public readonly long? Status = message.Status;
        public readonly long? Rdr = message.RequestDeliveryResponse;
        public readonly IReadOnlyList<string>? Headers = message.Headers;
        public readonly IReadOnlyDictionary<string, string>? Metadata = message.Metadata;
        public readonly string Path = message.Path;
        public readonly byte[]? Payload = message.Payload;
        public readonly string ServiceName = message.ServiceName;
        public readonly string Url = message.Url;
        public readonly IReadOnlyList<string>? PartnerIds = message.PartnerIds;
        public readonly string SessionId = message.SessionId;
        public readonly long Qos = message.QualityOfService;

        /// <summary>
        /// The number of top-level entries, and a lower bound of the encoded size: every entry takes at least 5 bytes
        /// (the shortest key is 4), plus the string fields' chars and the payload's bytes.
        /// </summary>
        public int Count(out int lowerBound)
        {
            var count = 2 + Present(Source) + Present(Destination) + Present(TransactionUuid) + Present(ContentType)
                + Present(Accept) + Present(Path) + Present(ServiceName) + Present(Url) + Present(SessionId)
                + (Status.HasValue ? 1 : 0) + (Rdr.HasValue ? 1 : 0) + (Headers is null ? 0 : 1)
                + (Metadata is null ? 0 : 1) + (Payload is null ? 0 : 1) + (PartnerIds is null ? 0 : 1);
            var chars = (long)(Source?.Length ?? 0) + (Destination?.Length ?? 0) + (TransactionUuid?.Length ?? 0)
                + (ContentType?.Length ?? 0) + (Accept?.Length ?? 0) + (Path?.Length ?? 0) + (ServiceName?.Length ?? 0)
                + (Url?.Length ?? 0) + (SessionId?.Length ?? 0) + (Payload?.Length ?? 0);
            lowerBound = (int)Math.Min(1 + (count * 5) + chars, MaxBytes);
            return count;
        }

        private static int Present(string? value) => string.IsNullOrEmpty(value) ? 0 : 1;
    }
}
