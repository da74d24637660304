using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// A device id in canonical form, as wrp-go v5's <c>ParseDeviceID</c> produces it: <c>scheme:authority</c> with a
/// lower-case scheme, a MAC without separators in lower case, and everything after the authority dropped.
/// </summary>
/// <remarks>
/// Equality ignores case (ordinal), because Svalinn and other XMiDT services lower-case whole ids; the canonical text
/// (<see cref="ToString"/>) keeps the case of non-MAC authorities, as wrp-go does.
/// </remarks>
public readonly struct DeviceId : IEquatable<DeviceId>
{
    internal const string SchemeMac = "mac";
    internal const string SchemeUuid = "uuid";
    internal const string SchemeSerial = "serial";
    internal const string SchemeDns = "dns";
    internal const string SchemeEvent = "event";
    internal const string SchemeSelf = "self";

    private readonly string? _value;

    private DeviceId(string value) => _value = value;

    /// <summary>The canonical text, for example <c>mac:112233445566</c>; empty for <see langword="default"/>.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>The lower-case scheme (<c>mac</c>, <c>uuid</c>, <c>serial</c>, <c>dns</c>, <c>event</c>, <c>self</c>).</summary>
    public string Scheme => _value is null ? string.Empty : _value[.._value.IndexOf(':', StringComparison.Ordinal)];

    /// <summary>The normalised authority (empty for <c>self:</c>).</summary>
    public string Authority => _value is null ? string.Empty : _value[(_value.IndexOf(':', StringComparison.Ordinal) + 1)..];

    /// <summary>Whether this is the <see langword="default"/> value, which names no device.</summary>
    public bool IsEmpty => _value is null;

    /// <summary>Parses a device id or locator and returns its canonical device id.</summary>
    /// <param name="value">A device id or locator, such as <c>MAC:11:22:33:44:55:66/config</c>.</param>
    /// <returns>The canonical device id.</returns>
    /// <exception cref="FormatException">The text is not a device id; the message gives wrp-go's reason.</exception>
    public static DeviceId Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var id, out var error) ? id : throw new FormatException(error);
    }

    /// <summary>Tries to parse a device id or locator.</summary>
    /// <param name="value">The text.</param>
    /// <param name="deviceId">The canonical device id when this returns <see langword="true"/>.</param>
    /// <returns>Whether the text is a device id.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out DeviceId deviceId) =>
        TryParse(value, out deviceId, out _);

    /// <summary>Tries to parse a device id or locator, and says why it is invalid when it is not.</summary>
    /// <param name="value">The text.</param>
    /// <param name="deviceId">The canonical device id when this returns <see langword="true"/>.</param>
    /// <param name="error">wrp-go's reason when this returns <see langword="false"/>.</param>
    /// <returns>Whether the text is a device id.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out DeviceId deviceId, [NotNullWhen(false)] out string? error)
    {
        if (!TryParseParts(value, out var scheme, out var authority, out _, out error))
        {
            deviceId = default;
            return false;
        }

        deviceId = new DeviceId(string.Concat(scheme, ":", authority));
        return true;
    }

    /// <summary>Wraps text that is already canonical (no parsing).</summary>
    internal static DeviceId FromCanonical(string canonical) => new(canonical);

    /// <summary>
    /// The shared first half of <c>ParseDeviceID</c> and <c>ParseLocator</c>: trims, matches the scheme, normalises the
    /// authority, and returns the text after it (empty or starting with <c>/</c>, except for <c>self</c>).
    /// </summary>
    internal static bool TryParseParts(
        string? value,
        out string scheme,
        out string authority,
        out ReadOnlySpan<char> rest,
        [NotNullWhen(false)] out string? error)
    {
        if (!TryScan(value.AsSpan(), out scheme, out var rawAuthority, out rest, out error))
        {
            authority = string.Empty;
            return false;
        }

        authority = scheme == SchemeMac ? NormaliseMac(rawAuthority) : rawAuthority.ToString();
        return true;
    }

    /// <summary>
    /// Checks a device id or locator as <see cref="TryParseParts"/> does, without allocating on success: the
    /// authority comes back as a slice of the input (a MAC still has its delimiters and case; it has been checked).
    /// </summary>
    internal static bool TryScan(
        ReadOnlySpan<char> value,
        out string scheme,
        out ReadOnlySpan<char> authority,
        out ReadOnlySpan<char> rest,
        [NotNullWhen(false)] out string? error)
    {
        scheme = string.Empty;
        authority = default;
        rest = default;

        // Go's strings.TrimSpace and .NET's Trim agree on the set of white-space characters.
        var text = value.Trim();
        if (text.IsEmpty)
        {
            error = "invalid device name: empty device ID";
            return false;
        }

        var colon = text.IndexOf(':');
        var matched = colon > 0 ? MatchScheme(text[..colon]) : null;
        if (matched is null)
        {
            error = "invalid device name: unknown or missing scheme";
            return false;
        }

        scheme = matched;
        var remainder = text[(colon + 1)..];
        if (scheme == SchemeSelf)
        {
            // "self:" has no authority; whatever follows is service and ignored parts.
            rest = remainder;
            error = null;
            return true;
        }

        var slash = remainder.IndexOf('/');
        authority = (slash < 0 ? remainder : remainder[..slash]).Trim();
        rest = slash < 0 ? default : remainder[slash..];
        if (authority.IsEmpty)
        {
            error = "invalid device name: missing authority in device ID";
            return false;
        }

        if (scheme == SchemeMac)
        {
            return CheckMac(authority, out error);
        }

        error = null;
        return true;
    }

    /// <summary>
    /// Matches a scheme the way wrp-go's <c>isScheme</c> does: only ASCII <c>A</c>-<c>Z</c> fold to lower case, so no
    /// culture or Unicode case mapping can make a non-ASCII character match.
    /// </summary>
    private static string? MatchScheme(ReadOnlySpan<char> candidate)
    {
        if (Ascii.EqualsIgnoreCase(candidate, SchemeMac))
        {
            return SchemeMac;
        }

        if (Ascii.EqualsIgnoreCase(candidate, SchemeUuid))
        {
            return SchemeUuid;
        }

        if (Ascii.EqualsIgnoreCase(candidate, SchemeSerial))
        {
            return SchemeSerial;
        }

        if (Ascii.EqualsIgnoreCase(candidate, SchemeDns))
        {
            return SchemeDns;
        }

        if (Ascii.EqualsIgnoreCase(candidate, SchemeEvent))
        {
            return SchemeEvent;
        }

        return Ascii.EqualsIgnoreCase(candidate, SchemeSelf) ? SchemeSelf : null;
    }

    /// <summary>wrp-go's <c>normalizeMAC</c> checks: only hex digits and the delimiters <c>- : . ,</c>, 12 digits.</summary>
    private static bool CheckMac(ReadOnlySpan<char> raw, [NotNullWhen(false)] out string? error)
    {
        var count = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c is '-' or ':' or '.' or ',')
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(c))
            {
                error = $"invalid device name: invalid character `{GoByteAsRune(raw[i..])}` in MAC address";
                return false;
            }

            count++;
        }

        if (count != 12)
        {
            error = "invalid device name: invalid MAC address length";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Lower-case hex digits of a MAC that <see cref="CheckMac"/> accepted.</summary>
    private static string NormaliseMac(ReadOnlySpan<char> raw)
    {
        Span<char> digits = stackalloc char[12];
        var count = 0;
        foreach (var c in raw)
        {
            if (c is not ('-' or ':' or '.' or ','))
            {
                digits[count++] = char.ToLowerInvariant(c);
            }
        }

        return new string(digits);
    }

    /// <summary>
    /// wrp-go reports the offending <em>byte</em> with <c>%c</c>, so a non-ASCII character shows as the Latin-1
    /// character of its first UTF-8 byte (and a surrogate-escaped invalid byte as that byte).
    /// </summary>
    private static char GoByteAsRune(ReadOnlySpan<char> text)
    {
        var c = text[0];
        if (c < 0x80)
        {
            return c;
        }

        if (c is >= '\uDC80' and <= '\uDCFF')
        {
            // A low surrogate cannot start a pair, so this is an escaped invalid byte.
            return (char)(c - 0xDC00);
        }

        Span<byte> utf8 = stackalloc byte[4];
        return Rune.DecodeFromUtf16(text, out var rune, out _) == System.Buffers.OperationStatus.Done
            && rune.TryEncodeToUtf8(utf8, out _)
            ? (char)utf8[0]
            : (char)0xEF; // U+FFFD's first byte, for a lone surrogate that is not an escaped byte.
    }

    /// <inheritdoc />
    public bool Equals(DeviceId other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DeviceId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The canonical text, for example <c>mac:112233445566</c>.</summary>
    /// <returns>The canonical text.</returns>
    public override string ToString() => Value;

    /// <summary>Compares two device ids (ordinal, ignoring case).</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns>Whether they name the same device.</returns>
    public static bool operator ==(DeviceId left, DeviceId right) => left.Equals(right);

    /// <summary>Compares two device ids (ordinal, ignoring case).</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns>Whether they name different devices.</returns>
    public static bool operator !=(DeviceId left, DeviceId right) => !left.Equals(right);
}
