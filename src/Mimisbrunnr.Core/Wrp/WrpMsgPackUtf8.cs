using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Unicode;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// UTF-8 transcoding with the "surrogate escape" convention <see cref="WrpMessage"/> documents: each byte that is not
/// part of a valid UTF-8 sequence becomes the lone surrogate <c>U+DC00 + byte</c> (U+DC80..U+DCFF), and back.
/// </summary>
/// <remarks>
/// The scheme round-trips every byte string a decoder produces. A string built by hand that puts a high surrogate
/// right before an escape (U+D8xx U+DC80) is read as a surrogate pair, as in Python's <c>surrogateescape</c>; any
/// other lone surrogate (including U+DC00..U+DC7F) is written as U+FFFD (<c>EF BF BD</c>), as Go does.
/// </remarks>
internal static class WrpMsgPackUtf8
{
    private const char EscapeBase = '\uDC00';
    private const char EscapeFirst = '\uDC80';
    private const char EscapeLast = '\uDCFF';
    private const int StackCharLimit = 256;

    /// <summary>U+D800..U+DFFF. (SearchValues rather than ContainsAnyInRange, which allocates in tier-0 code.)</summary>
    private static readonly SearchValues<char> Surrogates = SearchValues.Create(
        Enumerable.Range(0xD800, 0x800).Select(c => (char)c).ToArray());

    /// <summary>Decodes UTF-8 bytes; invalid bytes are surrogate-escaped.</summary>
    public static string Decode(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        // ASCII, the common case: check, then widen straight into the new string (cheaper than GetString's
        // count-then-transcode after a separate UTF-8 validation).
        if (Ascii.IsValid(utf8))
        {
            return string.Create(utf8.Length, utf8, static (chars, bytes) => Ascii.ToUtf16(bytes, chars, out _));
        }

        return Utf8.IsValid(utf8) ? Encoding.UTF8.GetString(utf8) : DecodeEscaped(utf8);
    }

    /// <summary>Decodes a UTF-8 sequence that may span several segments.</summary>
    public static string Decode(in ReadOnlySequence<byte> utf8)
    {
        if (utf8.IsSingleSegment)
        {
            return Decode(utf8.FirstSpan);
        }

        // Only reachable from the ReadOnlySequence overload with a multi-segment input; the length is bounded by
        // WrpMsgPackOptions.MaxInputLength, which the caller checked.
        var length = checked((int)utf8.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            utf8.CopyTo(rented);
            return Decode(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The number of bytes of 0x80 or more (the bytes that are not ASCII).</summary>
    public static int CountNonAscii(ReadOnlySpan<byte> bytes)
    {
        const ulong HighBits = 0x8080808080808080;
        var count = 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(bytes);
            for (; i <= bytes.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                count += BitOperations.PopCount(Vector256.LoadUnsafe(ref start, (nuint)i).ExtractMostSignificantBits());
            }
        }

        // The rest 8 bytes at a time, then at most 7 single bytes.
        for (; i <= bytes.Length - sizeof(ulong); i += sizeof(ulong))
        {
            count += BitOperations.PopCount(BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]) & HighBits);
        }

        for (; i < bytes.Length; i++)
        {
            count += bytes[i] >> 7;
        }

        return count;
    }

    /// <summary>
    /// Narrows <paramref name="source"/> char by char into the first <c>source.Length</c> bytes of
    /// <paramref name="destination"/> if every char is ASCII; returns false otherwise (the destination then holds
    /// some of the bytes). For the short strings of a WRP message this is several times cheaper than
    /// <see cref="Ascii.FromUtf16(ReadOnlySpan{char}, Span{byte}, out int)"/>, whose fixed cost dominates there: 16
    /// chars per step with 128-bit vectors (the last step overlapping the one before), 8 to 15 chars as two
    /// overlapping 8-char halves, shorter strings one char at a time.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    public static bool TryNarrowAscii(ReadOnlySpan<char> source, Span<byte> destination)
    {
        var length = source.Length;
        if (destination.Length < length)
        {
            throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        }

        if (length < 8 || !Vector128.IsHardwareAccelerated)
        {
            for (var i = 0; i < length; i++)
            {
                var c = source[i];
                if (c > 0x7F)
                {
                    return false;
                }

                destination[i] = (byte)c;
            }

            return true;
        }

        var chars = MemoryMarshal.Cast<char, ushort>(source);
        var nonAscii = Vector128.Create((ushort)0xFF80);
        if (length < 16)
        {
            var first = Vector128.Create(chars);
            var last = Vector128.Create(chars[(length - 8)..]);
            if (((first | last) & nonAscii) != Vector128<ushort>.Zero)
            {
                return false;
            }

            // Narrow(v, v) holds v's 8 bytes twice: the low 64 bits are the 8 narrowed chars.
            BinaryPrimitives.WriteUInt64LittleEndian(destination[(length - 8)..], Vector128.Narrow(last, last).AsUInt64().ToScalar());
            BinaryPrimitives.WriteUInt64LittleEndian(destination, Vector128.Narrow(first, first).AsUInt64().ToScalar());
            return true;
        }

        var at = 0;
        var lastStep = length - 16;
        while (true)
        {
            var lower = Vector128.Create(chars[at..]);
            var upper = Vector128.Create(chars[(at + 8)..]);
            if (((lower | upper) & nonAscii) != Vector128<ushort>.Zero)
            {
                return false;
            }

            Vector128.Narrow(lower, upper).CopyTo(destination[at..]);
            if (at == lastStep)
            {
                return true;
            }

            at = Math.Min(at + 16, lastStep);
        }
    }

    /// <summary>Whether a string must take the slow path of <see cref="GetByteCount"/>/<see cref="Encode"/>.</summary>
    public static bool HasSurrogates(string value) => value.AsSpan().ContainsAny(Surrogates);

    /// <summary>The number of bytes <see cref="Encode"/> writes for a string that contains surrogates.</summary>
    public static int GetByteCount(ReadOnlySpan<char> value)
    {
        var count = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c < 0x80)
            {
                count += 1;
            }
            else if (c < 0x800)
            {
                count += 2;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                count += 4;
                i++;
            }
            else if (c is >= EscapeFirst and <= EscapeLast)
            {
                count += 1;
            }
            else
            {
                // Any other BMP character is 3 bytes; so is U+FFFD, which replaces any other lone surrogate.
                count += 3;
            }
        }

        return count;
    }

    /// <summary>
    /// Writes a string as UTF-8 into <paramref name="destination"/>, which is exactly
    /// <see cref="GetByteCount"/> bytes long; escapes become their original byte, other lone surrogates U+FFFD.
    /// </summary>
    public static void Encode(ReadOnlySpan<char> value, Span<byte> destination)
    {
        var at = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c < 0x80)
            {
                destination[at++] = (byte)c;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                at += new Rune(c, value[i + 1]).EncodeToUtf8(destination[at..]);
                i++;
            }
            else if (c is >= EscapeFirst and <= EscapeLast)
            {
                destination[at++] = (byte)(c - EscapeBase);
            }
            else if (char.IsSurrogate(c))
            {
                at += Rune.ReplacementChar.EncodeToUtf8(destination[at..]);
            }
            else
            {
                at += new Rune(c).EncodeToUtf8(destination[at..]);
            }
        }
    }

    private static string DecodeEscaped(ReadOnlySpan<byte> utf8)
    {
        // Every byte gives at most one char (a 4-byte sequence gives 2 chars), so the byte length bounds the chars.
        char[]? rented = null;
        var buffer = utf8.Length <= StackCharLimit
            ? stackalloc char[StackCharLimit]
            : (rented = ArrayPool<char>.Shared.Rent(utf8.Length));
        try
        {
            var written = 0;
            var rest = utf8;
            while (!rest.IsEmpty)
            {
                var status = Rune.DecodeFromUtf8(rest, out var rune, out var consumed);
                if (status == OperationStatus.Done)
                {
                    written += rune.EncodeToUtf16(buffer[written..]);
                }
                else
                {
                    // The bytes of an invalid sequence are never ASCII, so they map to U+DC80..U+DCFF.
                    for (var i = 0; i < consumed; i++)
                    {
                        buffer[written++] = (char)(EscapeBase + rest[i]);
                    }
                }

                rest = rest[consumed..];
            }

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
}
