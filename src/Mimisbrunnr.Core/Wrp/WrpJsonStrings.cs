using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// JSON string escaping and unescaping with Go <c>encoding/json</c>'s exact rules, plus the few number and ordering
/// helpers the codec needs.
/// </summary>
/// <remarks>
/// <para>
/// Escaping (Go's <c>appendString</c> with HTML escaping on): <c>"</c> and <c>\</c> get a backslash; <c>\b \f \n \r
/// \t</c> use their short forms; other control characters, <c>&lt; &gt; &amp;</c> and U+2028/U+2029 become
/// <c>\u00xx</c>/<c>\u20xx</c> with lower-case hex; a string's invalid UTF-8 (a lone surrogate in the model, see
/// <see cref="WrpMessage"/>) becomes <c>\ufffd</c> per byte; everything else, DEL included, is written as raw UTF-8.
/// </para>
/// <para>
/// Unescaping (Go's <c>unquoteBytes</c>): each byte that is not part of valid UTF-8 becomes U+FFFD; a <c>\u</c>
/// escape of a surrogate is kept only as the first half of a valid escaped pair, otherwise it becomes U+FFFD. The
/// result never holds a lone surrogate.
/// </para>
/// </remarks>
internal static class WrpJsonStrings
{
    /// <summary>The characters a string cannot copy through as UTF-8: controls, <c>" \ &lt; &gt; &amp;</c>, U+2028/9, surrogates.</summary>
    private static readonly SearchValues<char> NeedsAttention = SearchValues.Create(BuildNeedsAttention());

    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    /// <summary>The length of <paramref name="value"/> as a quoted, escaped JSON string.</summary>
    public static long EscapedLength(string? value)
    {
        var text = value.AsSpan();
        long length = 2;
        while (true)
        {
            var index = text.IndexOfAny(NeedsAttention);
            if (index < 0)
            {
                return length + Encoding.UTF8.GetByteCount(text);
            }

            // The run before index has no surrogates, so its UTF-8 length is exact.
            length += Encoding.UTF8.GetByteCount(text[..index]);
            var c = text[index];
            if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
            {
                length += 4;
                text = text[(index + 2)..];
                continue;
            }

            length += c is '"' or '\\' or '\b' or '\f' or '\n' or '\r' or '\t' ? 2 : 6;
            text = text[(index + 1)..];
        }
    }

    /// <summary>Writes <paramref name="value"/> as a quoted, escaped JSON string; returns the bytes written.</summary>
    public static int WriteEscaped(string? value, Span<byte> destination)
    {
        var text = value.AsSpan();
        destination[0] = (byte)'"';
        var position = 1;
        while (true)
        {
            var index = text.IndexOfAny(NeedsAttention);
            if (index < 0)
            {
                position += Encoding.UTF8.GetBytes(text, destination[position..]);
                destination[position++] = (byte)'"';
                return position;
            }

            position += Encoding.UTF8.GetBytes(text[..index], destination[position..]);
            var c = text[index];
            if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
            {
                position += new Rune(c, text[index + 1]).EncodeToUtf8(destination[position..]);
                text = text[(index + 2)..];
                continue;
            }

            position += WriteEscape(c, destination[position..]);
            text = text[(index + 1)..];
        }
    }

    /// <summary>The bytes a UTF-8 string cannot copy through: controls, <c>" \ &lt; &gt; &amp;</c>, and every byte of 0x80 or more.</summary>
    private static readonly SearchValues<byte> NeedsAttentionUtf8 = SearchValues.Create(BuildNeedsAttentionUtf8());

    /// <summary>
    /// The length of the UTF-8 bytes <paramref name="utf8"/> as a quoted, escaped JSON string: exactly
    /// <see cref="EscapedLength(string)"/> of the string <see cref="WrpMsgPackUtf8.Decode(ReadOnlySpan{byte})"/> makes of
    /// them (a decoded message's field that was not created), without creating it.
    /// </summary>
    public static long EscapedLength(ReadOnlySpan<byte> utf8)
    {
        long length = 2;
        while (true)
        {
            var index = utf8.IndexOfAny(NeedsAttentionUtf8);
            if (index < 0)
            {
                return length + utf8.Length;
            }

            length += index;
            utf8 = utf8[index..];
            var b = utf8[0];
            if (b < 0x80)
            {
                length += b is (byte)'"' or (byte)'\\' or (byte)'\b' or (byte)'\f' or (byte)'\n' or (byte)'\r' or (byte)'\t' ? 2 : 6;
                utf8 = utf8[1..];
                continue;
            }

            // As WrpMsgPackUtf8.Decode reads them: a valid sequence is one character (U+2028/9 escaped, others raw);
            // each byte of an invalid one is a lone surrogate, written \ufffd.
            var status = Rune.DecodeFromUtf8(utf8, out var rune, out var consumed);
            length += status != OperationStatus.Done ? 6L * consumed : rune.Value is 0x2028 or 0x2029 ? 6 : consumed;
            utf8 = utf8[consumed..];
        }
    }

    /// <summary>
    /// Writes the UTF-8 bytes <paramref name="utf8"/> as a quoted, escaped JSON string, exactly as
    /// <see cref="WriteEscaped(string, Span{byte})"/> writes the string <see cref="WrpMsgPackUtf8.Decode(ReadOnlySpan{byte})"/>
    /// makes of them; returns the bytes written.
    /// </summary>
    public static int WriteEscaped(ReadOnlySpan<byte> utf8, Span<byte> destination)
    {
        destination[0] = (byte)'"';
        var position = 1;
        while (true)
        {
            var index = utf8.IndexOfAny(NeedsAttentionUtf8);
            if (index < 0)
            {
                utf8.CopyTo(destination[position..]);
                position += utf8.Length;
                destination[position++] = (byte)'"';
                return position;
            }

            utf8[..index].CopyTo(destination[position..]);
            position += index;
            utf8 = utf8[index..];
            var b = utf8[0];
            if (b < 0x80)
            {
                position += WriteEscape((char)b, destination[position..]);
                utf8 = utf8[1..];
                continue;
            }

            var status = Rune.DecodeFromUtf8(utf8, out var rune, out var consumed);
            if (status != OperationStatus.Done)
            {
                for (var i = 0; i < consumed; i++)
                {
                    position += WriteEscape('\uDC80', destination[position..]); // a lone surrogate: \ufffd
                }
            }
            else if (rune.Value is 0x2028 or 0x2029)
            {
                position += WriteEscape((char)rune.Value, destination[position..]);
            }
            else
            {
                utf8[..consumed].CopyTo(destination[position..]);
                position += consumed;
            }

            utf8 = utf8[consumed..];
        }
    }

    private static int WriteEscape(char c, Span<byte> destination)
    {
        char shortForm = c switch
        {
            '"' => '"',
            '\\' => '\\',
            '\b' => 'b',
            '\f' => 'f',
            '\n' => 'n',
            '\r' => 'r',
            '\t' => 't',
            _ => '\0',
        };
        destination[0] = (byte)'\\';
        if (shortForm != '\0')
        {
            destination[1] = (byte)shortForm;
            return 2;
        }

        // A surrogate here is lone: it stands for a byte of invalid UTF-8, which Go writes as \ufffd.
        int code = char.IsSurrogate(c) ? 0xFFFD : c;
        destination[1] = (byte)'u';
        destination[2] = Hex[code >> 12];
        destination[3] = Hex[(code >> 8) & 0xF];
        destination[4] = Hex[(code >> 4) & 0xF];
        destination[5] = Hex[code & 0xF];
        return 6;
    }

    /// <summary>
    /// Compares two strings by their UTF-8 bytes, as Go's <c>strings.Compare</c> orders map keys. A lone surrogate
    /// U+DC80..U+DCFF counts as the invalid byte it stands for; any other lone surrogate as U+FFFD.
    /// </summary>
    /// <remarks>
    /// Plain <see cref="string.CompareOrdinal(string, string)"/> is wrong for this: it orders a surrogate pair
    /// (U+10000 and up) before U+E000..U+FFFF, while UTF-8 orders it after.
    /// </remarks>
    public static int CompareUtf8(string? left, string? right)
    {
        var a = left.AsSpan();
        var b = right.AsSpan();
        var common = a.CommonPrefixLength(b);
        if (common == a.Length && common == b.Length)
        {
            return 0;
        }

        // The bytes of the common prefix are equal, except that its last character may be a high surrogate whose
        // encoding depends on what follows it; start from that character then.
        if (common > 0 && char.IsHighSurrogate(a[common - 1]))
        {
            common--;
        }

        var x = new Utf8Bytes(a[common..]);
        var y = new Utf8Bytes(b[common..]);
        while (true)
        {
            var hasX = x.TryNext(out var bx);
            var hasY = y.TryNext(out var by);
            if (!hasX)
            {
                return hasY ? -1 : 0;
            }

            if (!hasY)
            {
                return 1;
            }

            if (bx != by)
            {
                return bx < by ? -1 : 1;
            }
        }
    }

    /// <summary>The number of bytes of <paramref name="value"/> in decimal.</summary>
    public static int Int64Length(long value)
    {
        if (value < 0)
        {
            return value == long.MinValue ? 20 : 1 + UInt64Length((ulong)-value);
        }

        return UInt64Length((ulong)value);
    }

    private static int UInt64Length(ulong value)
    {
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    /// <summary>
    /// Decodes the raw bytes between a JSON string's quotes (escapes intact when <paramref name="escaped"/>) into a
    /// string, with Go's replacement rules.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> raw, bool escaped)
    {
        if (raw.IsEmpty)
        {
            return string.Empty;
        }

        if (!escaped && Utf8.IsValid(raw))
        {
            return Encoding.UTF8.GetString(raw);
        }

        // Every input byte gives at most one UTF-16 unit (a 4-byte sequence or a 12-byte escaped pair gives two).
        char[]? rented = null;
        Span<char> buffer = raw.Length <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(raw.Length));
        try
        {
            var written = Unescape(raw, buffer);
            return new string(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Unescapes into <paramref name="destination"/> (at least <paramref name="raw"/>.Length long) and returns the
    /// number of characters written. The reader has already checked the escape syntax; anything else still throws
    /// <see cref="WrpFormatException"/> rather than misbehave.
    /// </summary>
    public static int Unescape(ReadOnlySpan<byte> raw, Span<char> destination)
    {
        var read = 0;
        var written = 0;
        while (read < raw.Length)
        {
            var b = raw[read];
            if (b == '\\')
            {
                if (read + 1 >= raw.Length)
                {
                    throw new WrpFormatException("invalid escape at the end of a string");
                }

                var kind = raw[read + 1];
                read += 2;
                switch (kind)
                {
                    case (byte)'"':
                    case (byte)'\\':
                    case (byte)'/':
                        destination[written++] = (char)kind;
                        break;
                    case (byte)'b':
                        destination[written++] = '\b';
                        break;
                    case (byte)'f':
                        destination[written++] = '\f';
                        break;
                    case (byte)'n':
                        destination[written++] = '\n';
                        break;
                    case (byte)'r':
                        destination[written++] = '\r';
                        break;
                    case (byte)'t':
                        destination[written++] = '\t';
                        break;
                    case (byte)'u':
                        var code = Hex4(raw, read);
                        if (code < 0)
                        {
                            throw new WrpFormatException("invalid \\u escape in a string");
                        }

                        read += 4;
                        if (!char.IsSurrogate((char)code))
                        {
                            destination[written++] = (char)code;
                        }
                        else if (char.IsHighSurrogate((char)code)
                            && read + 6 <= raw.Length
                            && raw[read] == '\\'
                            && raw[read + 1] == 'u'
                            && Hex4(raw, read + 2) is var low and >= 0xDC00 and <= 0xDFFF)
                        {
                            destination[written++] = (char)code;
                            destination[written++] = (char)low;
                            read += 6;
                        }
                        else
                        {
                            // Go: an escaped surrogate that is not the first half of a valid pair becomes U+FFFD, and
                            // whatever follows it is read on its own.
                            destination[written++] = '\uFFFD';
                        }

                        break;
                    default:
                        throw new WrpFormatException("invalid escape in a string");
                }
            }
            else if (b < 0x80)
            {
                destination[written++] = (char)b;
                read++;
            }
            else
            {
                var status = Rune.DecodeFromUtf8(raw[read..], out var rune, out var consumed);
                if (status == OperationStatus.Done)
                {
                    written += rune.EncodeToUtf16(destination[written..]);
                }
                else
                {
                    // Go replaces each byte that does not start a valid sequence; the bytes .NET groups into one
                    // invalid subsequence after the first are continuation bytes, which Go also replaces one by one.
                    destination.Slice(written, consumed).Fill('\uFFFD');
                    written += consumed;
                }

                read += consumed;
            }
        }

        return written;
    }

    private static int Hex4(ReadOnlySpan<byte> raw, int start)
    {
        if (start + 4 > raw.Length)
        {
            return -1;
        }

        var value = 0;
        for (var i = start; i < start + 4; i++)
        {
            var digit = HexValue(raw[i]);
            if (digit < 0)
            {
                return -1;
            }

            value = (value << 4) | digit;
        }

        return value;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static byte[] BuildNeedsAttentionUtf8()
    {
        var bytes = new List<byte>();
        for (var b = 0; b < 0x20; b++)
        {
            bytes.Add((byte)b);
        }

        bytes.AddRange("\"\\<>&"u8);
        for (var b = 0x80; b <= 0xFF; b++)
        {
            bytes.Add((byte)b);
        }

        return [.. bytes];
    }

    private static string BuildNeedsAttention()
    {
        var builder = new StringBuilder(0x20 + 7 + 0x800);
        for (var c = '\0'; c < ' '; c++)
        {
            builder.Append(c);
        }

        builder.Append("\"\\<>&\u2028\u2029");
        for (var c = '\uD800'; c <= '\uDFFF'; c++)
        {
            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>The UTF-8 bytes of a string, one at a time, with the model's conventions for lone surrogates.</summary>
    private ref struct Utf8Bytes
    {
        private ReadOnlySpan<char> _rest;
        private uint _pending;
        private int _pendingCount;

        public Utf8Bytes(ReadOnlySpan<char> text)
        {
            _rest = text;
            _pending = 0;
            _pendingCount = 0;
        }

        public bool TryNext(out byte value)
        {
            if (_pendingCount == 0 && !Refill())
            {
                value = 0;
                return false;
            }

            _pendingCount--;
            value = (byte)(_pending >> (8 * _pendingCount));
            return true;
        }

        private bool Refill()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            var c = _rest[0];
            if (c < 0x80)
            {
                Set(c, 1, 1);
            }
            else if (c < 0x800)
            {
                Set((uint)(0xC0 | (c >> 6)) << 8 | (uint)(0x80 | (c & 0x3F)), 2, 1);
            }
            else if (!char.IsSurrogate(c))
            {
                Set(ThreeBytes(c), 3, 1);
            }
            else if (char.IsHighSurrogate(c) && _rest.Length > 1 && char.IsLowSurrogate(_rest[1]))
            {
                var scalar = (uint)char.ConvertToUtf32(c, _rest[1]);
                Set(
                    (0xF0 | (scalar >> 18)) << 24 | (0x80 | ((scalar >> 12) & 0x3F)) << 16
                        | (0x80 | ((scalar >> 6) & 0x3F)) << 8 | (0x80 | (scalar & 0x3F)),
                    4,
                    2);
            }
            else if (c is >= '\uDC80' and <= '\uDCFF')
            {
                Set((uint)(c - 0xDC00), 1, 1);
            }
            else
            {
                Set(ThreeBytes('\uFFFD'), 3, 1);
            }

            return true;
        }

        private static uint ThreeBytes(char c) =>
            (uint)(0xE0 | (c >> 12)) << 16 | (uint)(0x80 | ((c >> 6) & 0x3F)) << 8 | (uint)(0x80 | (c & 0x3F));

        private void Set(uint bytes, int count, int chars)
        {
            _pending = bytes;
            _pendingCount = count;
            _rest = _rest[chars..];
        }
    }
}
