using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using MessagePack;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// Writes a <see cref="WrpMessage"/> exactly as wrp-go v5's generated <c>marshalMsg</c> does (SPEC.md §2): the keys in
/// a fixed order, each emitted only under its condition, and msgp's signed-integer rule.
/// </summary>
internal static class WrpMsgPackEncoder
{
    /// <summary>The size of the per-thread transcoding buffer: non-ASCII strings up to a third of this use it.</summary>
    public const int ScratchBytes = 1024;

    [ThreadStatic]
    private static byte[]? _scratch;

    /// <summary>Writes one message; the caller flushes the writer.</summary>
    public static void Write(ref MessagePackWriter writer, WrpMessage message)
    {
        if (message.CanonicalWire is { } wire)
        {
            // Decoded from bytes that are exactly what this method would write (the decoder checked): copy them.
            writer.WriteRaw(wire);
            return;
        }

        if (message.HasWire)
        {
            WriteDecoded(ref writer, message);
            return;
        }

        var source = message.Source;
        var destination = message.Destination;
        var transactionUuid = message.TransactionUuid;
        var contentType = message.ContentType;
        var accept = message.Accept;
        var path = message.Path;
        var serviceName = message.ServiceName;
        var url = message.Url;
        var sessionId = message.SessionId;
        var status = message.Status;
        var rdr = message.RequestDeliveryResponse;
        var headers = message.Headers;
        var metadata = message.Metadata;
        var payload = message.Payload;
        var partnerIds = message.PartnerIds;

        // msg_type and qos are always written.
        var count = 2
            + Present(source)
            + Present(destination)
            + Present(transactionUuid)
            + Present(contentType)
            + Present(accept)
            + (status.HasValue ? 1 : 0)
            + (rdr.HasValue ? 1 : 0)
            + (headers is null ? 0 : 1)
            + (metadata is null ? 0 : 1)
            + Present(path)
            + (payload is null ? 0 : 1)
            + Present(serviceName)
            + Present(url)
            + (partnerIds is null ? 0 : 1)
            + Present(sessionId);
        writer.WriteMapHeader(count);

        writer.WriteRaw(WrpMsgPackKeys.MsgType);
        WriteInteger(ref writer, (long)message.Type);
        WriteStringField(ref writer, WrpMsgPackKeys.Source, source);
        WriteStringField(ref writer, WrpMsgPackKeys.Dest, destination);
        WriteStringField(ref writer, WrpMsgPackKeys.TransactionUuid, transactionUuid);
        WriteStringField(ref writer, WrpMsgPackKeys.ContentType, contentType);
        WriteStringField(ref writer, WrpMsgPackKeys.Accept, accept);
        if (status.HasValue)
        {
            writer.WriteRaw(WrpMsgPackKeys.Status);
            WriteInteger(ref writer, status.GetValueOrDefault());
        }

        if (rdr.HasValue)
        {
            writer.WriteRaw(WrpMsgPackKeys.Rdr);
            WriteInteger(ref writer, rdr.GetValueOrDefault());
        }

        if (headers is not null)
        {
            writer.WriteRaw(WrpMsgPackKeys.Headers);
            WriteStringArray(ref writer, headers);
        }

        if (metadata is not null)
        {
            writer.WriteRaw(WrpMsgPackKeys.Metadata);
            WriteMetadata(ref writer, metadata);
        }

        WriteStringField(ref writer, WrpMsgPackKeys.Path, path);
        if (payload is not null)
        {
            writer.WriteRaw(WrpMsgPackKeys.Payload);

            // Always bin8/bin16/bin32 (MessagePackWriter writes str headers here only in OldSpec mode, never set).
            writer.Write(payload.AsSpan());
        }

        WriteStringField(ref writer, WrpMsgPackKeys.ServiceName, serviceName);
        WriteStringField(ref writer, WrpMsgPackKeys.Url, url);
        if (partnerIds is not null)
        {
            writer.WriteRaw(WrpMsgPackKeys.PartnerIds);
            WriteStringArray(ref writer, partnerIds);
        }

        WriteStringField(ref writer, WrpMsgPackKeys.SessionId, sessionId);
        writer.WriteRaw(WrpMsgPackKeys.Qos);
        WriteInteger(ref writer, message.QualityOfService);
    }

    /// <summary>
    /// Writes a decoded message whose bytes are not in the encoder's form (another key order, unknown keys, wider
    /// integers...): the fields it has not created yet are copied from its bytes (str and bin contents, through the
    /// writer's primitives), so encoding creates nothing; the others are written as usual.
    /// </summary>
    private static void WriteDecoded(ref MessagePackWriter writer, WrpMessage message)
    {
        var at = message.WireAt;
        var status = message.Status;
        var rdr = message.RequestDeliveryResponse;

        // Every field of a decoded message that is set is on the wire (an absent one is empty or null). Metadata with a
        // repeated key is written once per key, so it goes through the dictionary.
        var metadata = message.Metadata;
        var count = 2
            + Present(at.Source)
            + Present(at.Destination)
            + Present(at.TransactionUuid)
            + Present(at.ContentType)
            + Present(at.Accept)
            + (status.HasValue ? 1 : 0)
            + (rdr.HasValue ? 1 : 0)
            + (at.Headers != 0 ? 1 : 0)
            + (metadata is null ? 0 : 1)
            + Present(at.Path)
            + (at.Payload != 0 ? 1 : 0)
            + Present(at.ServiceName)
            + Present(at.Url)
            + (at.PartnerIds != 0 ? 1 : 0)
            + Present(at.SessionId);
        writer.WriteMapHeader(count);
        writer.WriteRaw(WrpMsgPackKeys.MsgType);
        WriteInteger(ref writer, (long)message.Type);
        WriteWireString(ref writer, message, WrpMsgPackKeys.Source, at.Source);
        WriteWireString(ref writer, message, WrpMsgPackKeys.Dest, at.Destination);
        WriteWireString(ref writer, message, WrpMsgPackKeys.TransactionUuid, at.TransactionUuid);
        WriteWireString(ref writer, message, WrpMsgPackKeys.ContentType, at.ContentType);
        WriteWireString(ref writer, message, WrpMsgPackKeys.Accept, at.Accept);
        if (status.HasValue)
        {
            writer.WriteRaw(WrpMsgPackKeys.Status);
            WriteInteger(ref writer, status.GetValueOrDefault());
        }

        if (rdr.HasValue)
        {
            writer.WriteRaw(WrpMsgPackKeys.Rdr);
            WriteInteger(ref writer, rdr.GetValueOrDefault());
        }

        WriteWireStringArray(ref writer, message, WrpMsgPackKeys.Headers, at.Headers);
        if (metadata is not null)
        {
            writer.WriteRaw(WrpMsgPackKeys.Metadata);
            WriteMetadata(ref writer, metadata);
        }

        WriteWireString(ref writer, message, WrpMsgPackKeys.Path, at.Path);
        if (at.Payload != 0)
        {
            writer.WriteRaw(WrpMsgPackKeys.Payload);
            writer.Write(message.WireBytes(at.Payload));
        }

        WriteWireString(ref writer, message, WrpMsgPackKeys.ServiceName, at.ServiceName);
        WriteWireString(ref writer, message, WrpMsgPackKeys.Url, at.Url);
        WriteWireStringArray(ref writer, message, WrpMsgPackKeys.PartnerIds, at.PartnerIds);
        WriteWireString(ref writer, message, WrpMsgPackKeys.SessionId, at.SessionId);
        writer.WriteRaw(WrpMsgPackKeys.Qos);
        WriteInteger(ref writer, message.QualityOfService);
    }

    private static int Present(int at) => at != 0 ? 1 : 0;

    /// <summary>A str field on the wire of a decoded message (at non-zero): the same bytes, a fresh shortest header.</summary>
    private static void WriteWireString(ref MessagePackWriter writer, WrpMessage message, ReadOnlySpan<byte> key, int at)
    {
        if (at != 0)
        {
            writer.WriteRaw(key);
            writer.WriteString(message.WireString(at));
        }
    }

    private static void WriteWireStringArray(ref MessagePackWriter writer, WrpMessage message, ReadOnlySpan<byte> key, int at)
    {
        if (at == 0)
        {
            return;
        }

        writer.WriteRaw(key);
        var reader = message.WireReader(at);
        var count = reader.ReadArrayHeader();
        writer.WriteArrayHeader(count);
        for (var i = 0; i < count; i++)
        {
            reader.TryReadStringSpan(out var utf8);
            writer.WriteString(utf8);
        }
    }

    /// <summary>
    /// msgp's <c>AppendInt64</c>: fixints where they fit, otherwise the smallest <em>signed</em> family
    /// (<c>d0</c>..<c>d3</c>); positive values above 127 never use <c>cc</c>..<c>cf</c>.
    /// </summary>
    public static void WriteInteger(ref MessagePackWriter writer, long value)
    {
        if (value is >= -32 and <= 127)
        {
            // MessagePackWriter.Write(long) writes a positive or negative fixint for exactly this range.
            writer.Write(value);
        }
        else if (value is >= sbyte.MinValue and < 0)
        {
            writer.WriteInt8((sbyte)value);
        }
        else if (value is >= short.MinValue and <= short.MaxValue)
        {
            writer.WriteInt16((short)value);
        }
        else if (value is >= int.MinValue and <= int.MaxValue)
        {
            writer.WriteInt32((int)value);
        }
        else
        {
            writer.WriteInt64(value);
        }
    }

    /// <summary>Writes a str (fixstr, str8, str16 or str32 by byte length, as msgp <c>AppendString</c>).</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The string; null is written as empty.</param>
    public static void WriteString(ref MessagePackWriter writer, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            writer.WriteStringHeader(0);
            return;
        }

        var length = value.Length;

        // ASCII, the common case: the byte length is the char count, so narrow the chars straight into the writer's
        // buffer where the bytes go after the header; WriteStringHeader then writes the header in front of them. The
        // span reserved up front covers both, so the writer keeps the same buffer (and if it ever did not, the bytes
        // are copied across).
        var headerSize = StringHeaderSize(length);
        var reserved = writer.GetSpan(headerSize + length);
        if (Ascii.FromUtf16(value, reserved.Slice(headerSize, length), out _) == OperationStatus.Done)
        {
            writer.WriteStringHeader(length);
            var destination = writer.GetSpan(length);
            if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(destination), ref reserved[headerSize]))
            {
                reserved.Slice(headerSize, length).CopyTo(destination);
            }

            writer.Advance(length);
            return;
        }

        if (length <= ScratchBytes / 3)
        {
            // One pass transcodes and finds lone surrogates (InvalidData); then the library writes header and bytes.
            // The per-thread buffer is taken out while in use, so that a re-entrant call (from a user's IBufferWriter)
            // gets its own; an exception merely loses it.
            var scratch = _scratch ?? new byte[ScratchBytes];
            _scratch = null;
            var status = Utf8.FromUtf16(value, scratch, out _, out var written, replaceInvalidSequences: false);
            if (status == OperationStatus.Done)
            {
                writer.WriteString(scratch.AsSpan(0, written));
            }

            _scratch = scratch;
            if (status == OperationStatus.Done)
            {
                return;
            }
        }
        else if (!WrpMsgPackUtf8.HasSurrogates(value))
        {
            // A long string without surrogates: MessagePackWriter picks the header from the encoded length.
            writer.Write(value);
            return;
        }

        // Surrogates: pairs, escapes of invalid bytes (written back as the byte), or other lone ones (U+FFFD).
        var byteCount = WrpMsgPackUtf8.GetByteCount(value);
        writer.WriteStringHeader(byteCount);
        WrpMsgPackUtf8.Encode(value, writer.GetSpan(byteCount));
        writer.Advance(byteCount);
    }

    /// <summary>
    /// Where MessagePackWriter.WriteStringHeader puts the bytes after a header for this length (fixstr 1, str8 2,
    /// str16 3, str32 5 bytes). Only an optimisation: a wrong guess costs a copy, not correctness.
    /// </summary>
    private static int StringHeaderSize(int byteCount) => byteCount switch
    {
        <= 31 => 1,
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        _ => 5,
    };

    private static int Present(string? value) => string.IsNullOrEmpty(value) ? 0 : 1;

    private static void WriteStringField(ref MessagePackWriter writer, ReadOnlySpan<byte> key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            writer.WriteRaw(key);
            WriteString(ref writer, value);
        }
    }

    private static void WriteStringArray(ref MessagePackWriter writer, IReadOnlyList<string> values)
    {
        if (values is string[] array)
        {
            writer.WriteArrayHeader(array.Length);
            foreach (var value in array)
            {
                WriteString(ref writer, value);
            }

            return;
        }

        var count = values.Count;
        writer.WriteArrayHeader(count);
        for (var i = 0; i < count; i++)
        {
            WriteString(ref writer, values[i]);
        }
    }

    private static void WriteMetadata(ref MessagePackWriter writer, IReadOnlyDictionary<string, string> metadata)
    {
        writer.WriteMapHeader(metadata.Count);

        // The concrete types enumerate with struct enumerators; the interface fallback boxes one enumerator.
        switch (metadata)
        {
            case WrpWireMetadata wire:
                // A decoded message's metadata: the same bytes, each key once, without creating the strings.
                for (var i = 0; i < wire.Count; i++)
                {
                    writer.WriteString(wire.KeyBytes(i));
                    writer.WriteString(wire.ValueBytes(i));
                }

                break;
            case OrderedDictionary<string, string> ordered:
                foreach (var (key, value) in ordered)
                {
                    WriteString(ref writer, key);
                    WriteString(ref writer, value);
                }

                break;
            case Dictionary<string, string> dictionary:
                foreach (var (key, value) in dictionary)
                {
                    WriteString(ref writer, key);
                    WriteString(ref writer, value);
                }

                break;
            default:
                foreach (var (key, value) in metadata)
                {
                    WriteString(ref writer, key);
                    WriteString(ref writer, value);
                }

                break;
        }
    }
}
