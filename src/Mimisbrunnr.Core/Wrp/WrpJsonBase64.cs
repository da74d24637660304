using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// Go's <c>base64.StdEncoding.Decode</c>: the standard alphabet with <c>=</c> padding required, <c>\r</c> and
/// <c>\n</c> ignored anywhere, nothing allowed after the padding, and (not being <c>Strict</c>) the unused low bits of
/// the last character not checked. Spaces, tabs, the URL-safe alphabet and unpadded input are errors.
/// </summary>
internal static class WrpJsonBase64
{
    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    /// <summary>An upper bound of the decoded length, Go's <c>DecodedLen</c>.</summary>
    public static int MaxDecodedLength(int length) => length / 4 * 3;

    /// <summary>Decodes <paramref name="source"/> into <paramref name="destination"/> (at least
    /// <see cref="MaxDecodedLength"/> long).</summary>
    /// <param name="source">The base64 text.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="written">The number of bytes decoded.</param>
    /// <param name="errorIndex">The index of the offending character when this returns <see langword="false"/>.</param>
    /// <returns>Whether Go accepts the text.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> source, Span<byte> destination, out int written, out int errorIndex)
    {
        // Fast path: what the vectorised decoder accepts (no white space, padded, zero unused bits), Go accepts too,
        // with the same bytes. Anything else goes through the exact port of Go's rules.
        if (source.Length % 4 == 0 && source.IndexOfAny(Whitespace) < 0
            && Base64.DecodeFromUtf8(source, destination, out var consumed, out written) == OperationStatus.Done
            && consumed == source.Length)
        {
            errorIndex = -1;
            return true;
        }

        return TryDecodeLikeGo(source, destination, out written, out errorIndex);
    }

    /// <summary>
    /// The common case in one step: padded base64 without white space, decoded straight into an array of the exact
    /// size. Returns <see langword="false"/> (possibly having allocated) when the text needs <see cref="TryDecode"/>.
    /// </summary>
    public static bool TryDecodeExact(ReadOnlySpan<byte> source, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (source.IsEmpty)
        {
            bytes = [];
            return true;
        }

        if (source.Length % 4 != 0 || source.IndexOfAny(Whitespace) >= 0)
        {
            return false;
        }

        var padding = source[^1] != '=' ? 0 : source[^2] != '=' ? 1 : 2;
        var decoded = new byte[source.Length / 4 * 3 - padding];
        if (Base64.DecodeFromUtf8(source, decoded, out var consumed, out var written) != OperationStatus.Done
            || consumed != source.Length
            || written != decoded.Length)
        {
            return false;
        }

        bytes = decoded;
        return true;
    }

    private static bool TryDecodeLikeGo(ReadOnlySpan<byte> source, Span<byte> destination, out int written, out int errorIndex)
    {
        written = 0;
        var si = 0;
        while (true)
        {
            uint value = 0;
            var symbols = 0;
            var padded = false;
            while (symbols < 4)
            {
                if (si == source.Length)
                {
                    if (symbols == 0)
                    {
                        errorIndex = -1;
                        return true;
                    }

                    // A partial quantum without padding.
                    errorIndex = si - symbols;
                    return false;
                }

                var c = source[si++];
                var sextet = Sextet(c);
                if (sextet >= 0)
                {
                    value |= (uint)sextet << (6 * (3 - symbols));
                    symbols++;
                    continue;
                }

                if (c is (byte)'\n' or (byte)'\r')
                {
                    continue;
                }

                if (c != '=' || symbols < 2)
                {
                    errorIndex = si - 1;
                    return false;
                }

                if (symbols == 2)
                {
                    // "==" is needed; newlines may sit between the two.
                    SkipNewlines(source, ref si);
                    if (si == source.Length)
                    {
                        errorIndex = source.Length;
                        return false;
                    }

                    if (source[si] != '=')
                    {
                        errorIndex = si - 1;
                        return false;
                    }

                    si++;
                }

                SkipNewlines(source, ref si);
                if (si < source.Length)
                {
                    errorIndex = si;
                    return false;
                }

                padded = true;
                break;
            }

            destination[written++] = (byte)(value >> 16);
            if (symbols > 2)
            {
                destination[written++] = (byte)(value >> 8);
            }

            if (symbols > 3)
            {
                destination[written++] = (byte)value;
            }

            if (padded)
            {
                errorIndex = -1;
                return true;
            }
        }
    }

    private static void SkipNewlines(ReadOnlySpan<byte> source, ref int si)
    {
        while (si < source.Length && source[si] is (byte)'\n' or (byte)'\r')
        {
            si++;
        }
    }

    private static int Sextet(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'+' => 62,
        (byte)'/' => 63,
        _ => -1,
    };
}
