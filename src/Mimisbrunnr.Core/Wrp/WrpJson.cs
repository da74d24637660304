using System.Buffers;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// WRP JSON codec, byte-compatible with wrp-go v5 (Go <c>encoding/json</c> over <c>wrp.Message</c>; SPEC.md §3).
/// </summary>
/// <remarks>
/// <para><b>Encoding</b> writes exactly what wrp-go's <c>json.Encoder</c> writes, without its trailing newline:</para>
/// <list type="bullet">
/// <item>keys in the msgpack order; <c>msg_type</c> always; empty strings, a null status/rdr, zero-length
/// headers/metadata/partner_ids/payload and a zero qos left out (a status or rdr of 0 is written);</item>
/// <item>payload as standard padded base64; metadata keys sorted by their UTF-8 bytes;</item>
/// <item>strings escaped with Go's HTML-safe rules: <c>&lt; &gt; &amp;</c> as <c>\u003c \u003e \u0026</c>, U+2028/9 as
/// <c>\u2028 \u2029</c>, controls as <c>\n \r \t \b \f</c> or <c>\u00xx</c>, invalid UTF-8 (a lone surrogate in the
/// model) as <c>\ufffd</c>, other non-ASCII as raw UTF-8.</item>
/// </list>
/// <para><b>Decoding</b> follows Go's <c>json.Decoder.Decode</c> into a fresh <c>wrp.Message</c>:</para>
/// <list type="bullet">
/// <item>only the first JSON value is read; whatever follows it is ignored. A top-level <c>null</c> decodes to the
/// empty message (msg_type 0, which <see cref="WrpValidator"/> rejects); any other non-object is an error;</item>
/// <item>keys match case-insensitively (ASCII case, plus U+017F for <c>s</c>, which is all Go's Unicode folding
/// adds for these names); unknown keys are skipped whatever their value; when a key repeats, the last one wins;</item>
/// <item><c>null</c> leaves a string, msg_type or qos unchanged, and sets status, rdr, headers, metadata,
/// partner_ids and payload back to absent; a null list element or metadata value decodes as <c>""</c> (or, for a
/// repeated key, keeps the element an earlier array left at that index, as Go's reuse of the slice does);</item>
/// <item>msg_type, status, rdr and qos must be JSON integers within 64 bits (<c>200.0</c>, <c>2e2</c> and strings
/// are errors);</item>
/// <item>payload is standard padded base64 (line breaks ignored; spaces, URL-safe characters or missing padding are
/// errors) or an array of integers 0..255;</item>
/// <item>invalid UTF-8 in a string becomes U+FFFD per byte, as does an escaped surrogate that is not half of a pair,
/// so decoded strings are always valid;</item>
/// <item>the input may be at most <see cref="MaxInputLength"/> bytes and nest at most <see cref="MaxDepth"/> levels
/// (Go's own nesting limit).</item>
/// </list>
/// <para>Every decoding failure is a <see cref="WrpFormatException"/> with the byte offset. Decoding does not
/// validate; call <see cref="WrpValidator.Validate"/> for that.</para>
/// </remarks>
public static class WrpJson
{
    /// <summary>The largest input <see cref="Decode"/> accepts: 64 MiB (Go has no limit; this one bounds the work).</summary>
    public const int MaxInputLength = 64 * 1024 * 1024;

    /// <summary>The deepest nesting <see cref="Decode"/> accepts, counting the message object: 10000, as Go.</summary>
    public const int MaxDepth = 10000;

    /// <summary>Decodes one WRP message from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The JSON bytes.</param>
    /// <returns>The message.</returns>
    /// <exception cref="WrpFormatException">The input is not a WRP message as wrp-go reads JSON.</exception>
    public static WrpMessage Decode(ReadOnlySpan<byte> utf8Json) => WrpJsonDecoder.Decode(utf8Json);

    /// <summary>Encodes a message as UTF-8 JSON exactly as wrp-go writes it (without the trailing newline).</summary>
    /// <param name="message">The message.</param>
    /// <returns>The JSON bytes.</returns>
    public static byte[] Encode(WrpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var bytes = new byte[WrpJsonEncoder.GetLength(message)];
        WrpJsonEncoder.Write(message, bytes);
        return bytes;
    }

    /// <summary>
    /// Encodes a message as UTF-8 JSON exactly as wrp-go writes it (without the trailing newline) into a buffer
    /// writer, asking it for one span of the exact size.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="writer">The destination.</param>
    public static void Encode(WrpMessage message, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(writer);
        var length = WrpJsonEncoder.GetLength(message);
        WrpJsonEncoder.Write(message, writer.GetSpan(length)[..length]);
        writer.Advance(length);
    }
}
