using System.Buffers;
using MessagePack;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// WRP msgpack codec, byte-compatible with wrp-go v5 (its msgp-generated <c>marshalMsg</c>/<c>unmarshalMsg</c>).
/// </summary>
/// <remarks>
/// <para>
/// Encoding writes the keys in wrp-go's fixed order, omits empty strings and <see langword="null"/> status, rdr,
/// headers, metadata, payload and partner ids, writes empty collections as <c>90</c>/<c>80</c>/<c>c4 00</c>, always
/// writes <c>qos</c>, and uses only the signed integer families (200 is <c>d1 00 c8</c>). Metadata entries are written
/// in the dictionary's enumeration order (wrp-go uses Go's random map order, so compare decoded values). Strings that
/// carry surrogate-escaped invalid UTF-8 (see <see cref="WrpMessage"/>) are written back as the original bytes.
/// Encoding does not validate; call <see cref="WrpValidator"/> first where that matters.
/// </para>
/// <para>
/// Decoding accepts what wrp-go accepts and rejects what it rejects: the top level must be a map; keys may be str or
/// bin and match case-sensitively; unknown keys are skipped whatever their type; a repeated key keeps its last value;
/// integers may use any int family (unsigned only up to <see cref="long.MaxValue"/>); nil status/rdr means absent;
/// strings must be str (nil and bin are errors), the payload must be bin; <c>90</c> and <c>c4 00</c> give
/// <see langword="null"/>, <c>80</c> gives an empty metadata map whose entries keep their wire order. Bytes after the
/// message are ignored; the overloads with <c>bytesConsumed</c> say where the message ended. Decoding does not
/// validate either, and invalid UTF-8 is kept (surrogate-escaped).
/// </para>
/// <para>
/// A decoded message keeps one copy of its msgpack bytes and creates its strings, lists, map and payload from them on
/// first access (see <see cref="WrpMessage"/>); decoding itself checks every value's structure, so what it accepts
/// and rejects, and the errors, are those of an eager decode. Encoding a decoded message copies the values it has not
/// created from those bytes, and copies the whole message when it was already in the form the encoder writes (as
/// wrp-go writes it).
/// </para>
/// <para>
/// Every decoding failure is a <see cref="WrpFormatException"/> naming the field and the byte offset. Hostile input is
/// bounded by <see cref="WrpMsgPackOptions"/>: the input length (16 MiB by default), the nesting depth of skipped
/// values (64 by default; wrp-go allows 100000), and every declared count and length is checked against the bytes
/// that remain before anything is allocated.
/// </para>
/// <para>All members are thread-safe.</para>
/// </remarks>
public static class WrpMsgPack
{
    /// <summary>Scratch buffers larger than this are not kept for the next <see cref="Encode(WrpMessage)"/>.</summary>
    private const int MaxRetainedScratchBytes = 64 * 1024;

    private const int InitialScratchBytes = 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _scratch;

    /// <summary>Decodes one WRP message; bytes after it are ignored.</summary>
    /// <param name="data">The msgpack bytes.</param>
    /// <returns>The message.</returns>
    /// <exception cref="WrpFormatException">The bytes are not a WRP message as wrp-go v5 decodes them.</exception>
    public static WrpMessage Decode(ReadOnlySpan<byte> data) => Decode(data, WrpMsgPackOptions.Default, out _);

    /// <summary>Decodes one WRP message and says how many bytes it occupied (wrp-go's <c>DecodeMsgpack</c> remainder).</summary>
    /// <param name="data">The msgpack bytes.</param>
    /// <param name="bytesConsumed">The length of the message; <c>data[bytesConsumed..]</c> is the remainder.</param>
    /// <returns>The message.</returns>
    /// <exception cref="WrpFormatException">The bytes are not a WRP message as wrp-go v5 decodes them.</exception>
    public static WrpMessage Decode(ReadOnlySpan<byte> data, out int bytesConsumed) =>
        Decode(data, WrpMsgPackOptions.Default, out bytesConsumed);

    /// <summary>Decodes one WRP message with the given limits.</summary>
    /// <param name="data">The msgpack bytes.</param>
    /// <param name="options">The limits for untrusted input.</param>
    /// <param name="bytesConsumed">The length of the message; <c>data[bytesConsumed..]</c> is the remainder.</param>
    /// <returns>The message.</returns>
    /// <exception cref="WrpFormatException">The bytes are not a WRP message as wrp-go v5 decodes them, or exceed a limit.</exception>
    public static WrpMessage Decode(ReadOnlySpan<byte> data, WrpMsgPackOptions options, out int bytesConsumed)
    {
        ArgumentNullException.ThrowIfNull(options);
        WrpMsgPackDecoder.CheckInputLength(data.Length, options); // before copying anything

        // The message keeps its bytes (its fields are created from them on first access, see WrpMessage): this one
        // copy is also what MessagePackReader reads, as it cannot read a span.
        return WrpMsgPackDecoder.DecodeOwned(data.ToArray(), options, out bytesConsumed);
    }

    /// <summary>Decodes one WRP message from a (possibly multi-segment) sequence; the message keeps a copy of its own bytes.</summary>
    /// <param name="data">The msgpack bytes.</param>
    /// <param name="bytesConsumed">The length of the message; <c>data.Slice(bytesConsumed)</c> is the remainder.</param>
    /// <returns>The message.</returns>
    /// <exception cref="WrpFormatException">The bytes are not a WRP message as wrp-go v5 decodes them.</exception>
    public static WrpMessage Decode(in ReadOnlySequence<byte> data, out long bytesConsumed) =>
        WrpMsgPackDecoder.Decode(data, WrpMsgPackOptions.Default, out bytesConsumed);

    /// <summary>Decodes one WRP message from a (possibly multi-segment) sequence with the given limits.</summary>
    /// <param name="data">The msgpack bytes.</param>
    /// <param name="options">The limits for untrusted input.</param>
    /// <param name="bytesConsumed">The length of the message; <c>data.Slice(bytesConsumed)</c> is the remainder.</param>
    /// <returns>The message.</returns>
    /// <exception cref="WrpFormatException">The bytes are not a WRP message as wrp-go v5 decodes them, or exceed a limit.</exception>
    public static WrpMessage Decode(in ReadOnlySequence<byte> data, WrpMsgPackOptions options, out long bytesConsumed)
    {
        ArgumentNullException.ThrowIfNull(options);
        return WrpMsgPackDecoder.Decode(data, options, out bytesConsumed);
    }

    /// <summary>Encodes a message into a buffer writer, exactly as wrp-go v5's <c>EncodeMsgpack</c> does.</summary>
    /// <param name="message">The message.</param>
    /// <param name="writer">The destination; the bytes are appended and committed.</param>
    public static void Encode(WrpMessage message, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(writer);
        if (message.CanonicalWire is { } wire)
        {
            // Decoded from bytes that are exactly what the encoder would write (the decoder checked): copy them.
            writer.Write(wire);
            return;
        }

        if (!message.HasWire && WrpMsgPackAsciiEncoder.TryWrite(message, writer))
        {
            return; // built in code with ASCII strings, the common case: one pass into one span
        }

        var msgpack = new MessagePackWriter(writer);
        WrpMsgPackEncoder.Write(ref msgpack, message);
        msgpack.Flush();
    }

    /// <summary>
    /// The message's msgpack bytes to share read-only (a cached delivery body): the decoded message's own bytes when
    /// they are already exactly what <see cref="Encode(WrpMessage)"/> writes, otherwise a new encoding.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <returns>The bytes; never to be modified (they may be the message's own).</returns>
    internal static byte[] EncodeShared(WrpMessage message) => message.CanonicalWire ?? Encode(message);

    /// <summary>Encodes a message to a new array, exactly as wrp-go v5's <c>EncodeMsgpack</c> does.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The msgpack bytes (the only allocation).</returns>
    public static byte[] Encode(WrpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);

        // A per-thread scratch buffer, taken out while in use; the result is its one copy.
        var scratch = _scratch ?? new ArrayBufferWriter<byte>(InitialScratchBytes);
        _scratch = null;
        try
        {
            Encode(message, scratch);
            return scratch.WrittenSpan.ToArray();
        }
        finally
        {
            if (scratch.Capacity <= MaxRetainedScratchBytes)
            {
                scratch.ResetWrittenCount();
                _scratch = scratch;
            }
        }
    }
}
