using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// Writes a <see cref="WrpMessage"/> as wrp-go v5's <c>json.Encoder</c> does, minus its trailing newline (SPEC.md §3).
/// </summary>
/// <remarks>
/// Two passes: <see cref="GetLength"/> computes the exact size, then <see cref="Write"/> fills a span of that size.
/// That gives one allocation for <see cref="WrpJson.Encode(WrpMessage)"/> and one <c>GetSpan</c> call for a buffer
/// writer, and nothing else allocates (metadata keys are sorted in a pooled array). The strings, lists and payload of
/// a message decoded from msgpack are written from its bytes (<see cref="WrpMessage.WireAt"/>), so encoding it creates
/// none of them; its metadata goes through the dictionary (sorted, a repeated key once).
/// </remarks>
internal static class WrpJsonEncoder
{
    /// <summary>Computes the exact number of bytes <see cref="Write"/> produces.</summary>
    /// <exception cref="ArgumentException">The encoded message would exceed <see cref="Array.MaxLength"/> bytes.</exception>
    public static int GetLength(WrpMessage message)
    {
        // A decoded message: a field on the wire is read from there; one that is not is empty or absent (null).
        var wire = message.HasWire;
        var at = message.WireAt;
        long length = 1 + "\"msg_type\":"u8.Length + WrpJsonStrings.Int64Length((long)message.Type) + 1;
        length += StringFieldLength(",\"source\":"u8, message, at.Source, wire ? null : message.Source);
        length += StringFieldLength(",\"dest\":"u8, message, at.Destination, wire ? null : message.Destination);
        length += StringFieldLength(",\"transaction_uuid\":"u8, message, at.TransactionUuid, wire ? null : message.TransactionUuid);
        length += StringFieldLength(",\"content_type\":"u8, message, at.ContentType, wire ? null : message.ContentType);
        length += StringFieldLength(",\"accept\":"u8, message, at.Accept, wire ? null : message.Accept);
        if (message.Status is { } status)
        {
            length += ",\"status\":"u8.Length + WrpJsonStrings.Int64Length(status);
        }

        if (message.RequestDeliveryResponse is { } rdr)
        {
            length += ",\"rdr\":"u8.Length + WrpJsonStrings.Int64Length(rdr);
        }

        length += StringListLength(",\"headers\":"u8, message, at.Headers, wire ? null : message.Headers);
        length += MetadataLength(message.Metadata);
        length += StringFieldLength(",\"path\":"u8, message, at.Path, wire ? null : message.Path);
        var payload = Payload(message, at.Payload);
        if (!payload.IsEmpty)
        {
            length += ",\"payload\":"u8.Length + 2 + Base64.GetMaxEncodedToUtf8Length(payload.Length);
        }

        length += StringFieldLength(",\"service_name\":"u8, message, at.ServiceName, wire ? null : message.ServiceName);
        length += StringFieldLength(",\"url\":"u8, message, at.Url, wire ? null : message.Url);
        length += StringListLength(",\"partner_ids\":"u8, message, at.PartnerIds, wire ? null : message.PartnerIds);
        length += StringFieldLength(",\"session_id\":"u8, message, at.SessionId, wire ? null : message.SessionId);
        if (message.QualityOfService != 0)
        {
            length += ",\"qos\":"u8.Length + WrpJsonStrings.Int64Length(message.QualityOfService);
        }

        if (length > Array.MaxLength)
        {
            throw new ArgumentException($"The message is too large to encode as JSON ({length} bytes).", nameof(message));
        }

        return (int)length;
    }

    /// <summary>Writes the message into <paramref name="destination"/>, which is exactly <see cref="GetLength"/> long.</summary>
    public static void Write(WrpMessage message, Span<byte> destination)
    {
        var wire = message.HasWire;
        var at = message.WireAt;
        var output = new Output(destination);
        output.Write("{\"msg_type\":"u8);
        output.WriteInt64((long)message.Type);
        WriteStringField(ref output, ",\"source\":"u8, message, at.Source, wire ? null : message.Source);
        WriteStringField(ref output, ",\"dest\":"u8, message, at.Destination, wire ? null : message.Destination);
        WriteStringField(ref output, ",\"transaction_uuid\":"u8, message, at.TransactionUuid, wire ? null : message.TransactionUuid);
        WriteStringField(ref output, ",\"content_type\":"u8, message, at.ContentType, wire ? null : message.ContentType);
        WriteStringField(ref output, ",\"accept\":"u8, message, at.Accept, wire ? null : message.Accept);
        if (message.Status is { } status)
        {
            output.Write(",\"status\":"u8);
            output.WriteInt64(status);
        }

        if (message.RequestDeliveryResponse is { } rdr)
        {
            output.Write(",\"rdr\":"u8);
            output.WriteInt64(rdr);
        }

        WriteStringList(ref output, ",\"headers\":"u8, message, at.Headers, wire ? null : message.Headers);
        WriteMetadata(ref output, message.Metadata);
        WriteStringField(ref output, ",\"path\":"u8, message, at.Path, wire ? null : message.Path);
        var payload = Payload(message, at.Payload);
        if (!payload.IsEmpty)
        {
            output.Write(",\"payload\":\""u8);
            output.WriteBase64(payload);
            output.Write((byte)'"');
        }

        WriteStringField(ref output, ",\"service_name\":"u8, message, at.ServiceName, wire ? null : message.ServiceName);
        WriteStringField(ref output, ",\"url\":"u8, message, at.Url, wire ? null : message.Url);
        WriteStringList(ref output, ",\"partner_ids\":"u8, message, at.PartnerIds, wire ? null : message.PartnerIds);
        WriteStringField(ref output, ",\"session_id\":"u8, message, at.SessionId, wire ? null : message.SessionId);
        if (message.QualityOfService != 0)
        {
            output.Write(",\"qos\":"u8);
            output.WriteInt64(message.QualityOfService);
        }

        output.Write((byte)'}');
        Debug.Assert(output.Position == destination.Length, "GetLength and Write disagree.");
    }

    // omitempty: "" (and null, which the model does not allow but a caller can still set) is left out. A field on the
    // wire (at non-zero) is set, and is written from its bytes.
    private static long StringFieldLength(ReadOnlySpan<byte> key, WrpMessage message, int at, string? value) =>
        at != 0 ? key.Length + WrpJsonStrings.EscapedLength(message.WireString(at))
        : string.IsNullOrEmpty(value) ? 0
        : key.Length + WrpJsonStrings.EscapedLength(value);

    private static void WriteStringField(ref Output output, ReadOnlySpan<byte> key, WrpMessage message, int at, string? value)
    {
        if (at != 0)
        {
            output.Write(key);
            output.WriteString(message.WireString(at));
        }
        else if (!string.IsNullOrEmpty(value))
        {
            output.Write(key);
            output.WriteString(value);
        }
    }

    /// <summary>The payload bytes: from the wire of a decoded message, else the array.</summary>
    private static ReadOnlySpan<byte> Payload(WrpMessage message, int at) =>
        at != 0 ? message.WireBytes(at) : message.HasWire ? default : message.Payload;

    // omitempty on a slice: left out when its length is 0, whether nil or empty. A null element is written as "".
    private static long StringListLength(ReadOnlySpan<byte> key, WrpMessage message, int at, IReadOnlyList<string>? list)
    {
        if (at != 0)
        {
            var reader = message.WireReader(at);
            var count = reader.ReadArrayHeader();
            if (count == 0)
            {
                return 0;
            }

            long wireLength = key.Length + 2 + (count - 1);
            for (var i = 0; i < count; i++)
            {
                reader.TryReadStringSpan(out var utf8);
                wireLength += WrpJsonStrings.EscapedLength(utf8);
            }

            return wireLength;
        }

        if (list is null || list.Count == 0)
        {
            return 0;
        }

        long length = key.Length + 2 + (list.Count - 1);
        for (var i = 0; i < list.Count; i++)
        {
            length += WrpJsonStrings.EscapedLength(list[i]);
        }

        return length;
    }

    private static void WriteStringList(ref Output output, ReadOnlySpan<byte> key, WrpMessage message, int at, IReadOnlyList<string>? list)
    {
        if (at != 0)
        {
            var reader = message.WireReader(at);
            var count = reader.ReadArrayHeader();
            if (count == 0)
            {
                return;
            }

            output.Write(key);
            output.Write((byte)'[');
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    output.Write((byte)',');
                }

                reader.TryReadStringSpan(out var utf8);
                output.WriteString(utf8);
            }

            output.Write((byte)']');
            return;
        }

        if (list is null || list.Count == 0)
        {
            return;
        }

        output.Write(key);
        output.Write((byte)'[');
        for (var i = 0; i < list.Count; i++)
        {
            if (i > 0)
            {
                output.Write((byte)',');
            }

            output.WriteString(list[i]);
        }

        output.Write((byte)']');
    }

    private static long MetadataLength(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null || metadata.Count == 0)
        {
            return 0;
        }

        long length = ",\"metadata\":"u8.Length + 2 + (metadata.Count - 1);
        if (metadata is WrpWireMetadata wire)
        {
            for (var i = 0; i < wire.Count; i++)
            {
                length += WrpJsonStrings.EscapedLength(wire.KeyBytes(i)) + 1 + WrpJsonStrings.EscapedLength(wire.ValueBytes(i));
            }
        }
        else if (metadata is Dictionary<string, string> dictionary)
        {
            // The concrete type enumerates without boxing an enumerator.
            foreach (var (key, value) in dictionary)
            {
                length += WrpJsonStrings.EscapedLength(key) + 1 + WrpJsonStrings.EscapedLength(value);
            }
        }
        else
        {
            foreach (var (key, value) in metadata)
            {
                length += WrpJsonStrings.EscapedLength(key) + 1 + WrpJsonStrings.EscapedLength(value);
            }
        }

        return length;
    }

    // Go's encoding/json sorts map keys with strings.Compare, i.e. by their UTF-8 bytes.
    private static void WriteMetadata(ref Output output, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null || metadata.Count == 0)
        {
            return;
        }

        if (metadata is WrpWireMetadata wire)
        {
            WriteMetadata(ref output, wire);
            return;
        }

        var count = metadata.Count;
        var keys = ArrayPool<string>.Shared.Rent(count);
        try
        {
            var filled = 0;
            if (metadata is Dictionary<string, string> dictionary)
            {
                foreach (var key in dictionary.Keys)
                {
                    keys[filled++] = key;
                }
            }
            else
            {
                foreach (var (key, _) in metadata)
                {
                    keys[filled++] = key;
                }
            }

            var sorted = keys.AsSpan(0, filled);
            SortByUtf8(sorted);
            output.Write(",\"metadata\":{"u8);
            for (var i = 0; i < sorted.Length; i++)
            {
                if (i > 0)
                {
                    output.Write((byte)',');
                }

                output.WriteString(sorted[i]);
                output.Write((byte)':');
                output.WriteString(metadata[sorted[i]]);
            }

            output.Write((byte)'}');
        }
        finally
        {
            ArrayPool<string>.Shared.Return(keys, clearArray: true);
        }
    }

    /// <summary>
    /// A decoded message's metadata, from its bytes: keys sorted by their bytes, which is how Go (and
    /// <see cref="WrpJsonStrings.CompareUtf8"/>) orders the strings they decode to.
    /// </summary>
    private static void WriteMetadata(ref Output output, WrpWireMetadata metadata)
    {
        Span<int> order = stackalloc int[WrpWireMetadata.MaxEntries];
        order = order[..metadata.Count];
        for (var i = 0; i < order.Length; i++)
        {
            var entry = i;
            var j = i - 1;
            while (j >= 0 && metadata.KeyBytes(order[j]).SequenceCompareTo(metadata.KeyBytes(entry)) > 0)
            {
                order[j + 1] = order[j];
                j--;
            }

            order[j + 1] = entry;
        }

        output.Write(",\"metadata\":{"u8);
        for (var i = 0; i < order.Length; i++)
        {
            if (i > 0)
            {
                output.Write((byte)',');
            }

            output.WriteString(metadata.KeyBytes(order[i]));
            output.Write((byte)':');
            output.WriteString(metadata.ValueBytes(order[i]));
        }

        output.Write((byte)'}');
    }

    // A cached delegate: Span.Sort with a struct IComparer boxes it on every call, and Array.Sort wraps an IComparer
    // in a new delegate.
    private static readonly Comparison<string> ByUtf8 = WrpJsonStrings.CompareUtf8;

    private static void SortByUtf8(Span<string> keys)
    {
        if (keys.Length > 16)
        {
            keys.Sort(ByUtf8);
            return;
        }

        // Insertion sort: metadata maps are small, and this avoids the introsort set-up.
        for (var i = 1; i < keys.Length; i++)
        {
            var key = keys[i];
            var j = i - 1;
            while (j >= 0 && WrpJsonStrings.CompareUtf8(keys[j], key) > 0)
            {
                keys[j + 1] = keys[j];
                j--;
            }

            keys[j + 1] = key;
        }
    }

    /// <summary>A cursor over the destination span.</summary>
    private ref struct Output
    {
        private readonly Span<byte> _buffer;

        public Output(Span<byte> buffer)
        {
            _buffer = buffer;
            Position = 0;
        }

        public int Position { get; private set; }

        public void Write(byte value) => _buffer[Position++] = value;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer[Position..]);
            Position += bytes.Length;
        }

        public void WriteInt64(long value)
        {
            var ok = Utf8Formatter.TryFormat(value, _buffer[Position..], out var written);
            Debug.Assert(ok, "The length pass reserved room for the number.");
            Position += written;
        }

        public void WriteString(string? value) => Position += WrpJsonStrings.WriteEscaped(value, _buffer[Position..]);

        public void WriteString(ReadOnlySpan<byte> utf8) => Position += WrpJsonStrings.WriteEscaped(utf8, _buffer[Position..]);

        public void WriteBase64(ReadOnlySpan<byte> data)
        {
            var status = Base64.EncodeToUtf8(data, _buffer[Position..], out _, out var written);
            Debug.Assert(status == OperationStatus.Done, "The length pass reserved room for the base64 text.");
            Position += written;
        }
    }
}
