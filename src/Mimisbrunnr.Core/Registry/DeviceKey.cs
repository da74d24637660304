using System.Buffers.Binary;
using System.Globalization;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Registry;

/// <summary>
/// The registry's key for a device: a MAC device id as its 48-bit number, compared without touching any string; any
/// other device id as its canonical text (compared as <see cref="DeviceId"/> compares, ignoring case).
/// </summary>
/// <remarks>
/// With a million devices indexed, a lookup's cost is its cache misses. Comparing a <see cref="DeviceId"/> key reads
/// the key's string, one more miss per lookup; most XMiDT devices are MAC-addressed, and their keys need none.
/// </remarks>
internal readonly struct DeviceKey : IEquatable<DeviceKey>
{
    private const ulong MacTag = 1UL << 63;
    private readonly ulong _mac;
    private readonly string? _text;

    private DeviceKey(ulong mac, string? text)
    {
        _mac = mac;
        _text = text;
    }

    /// <summary>The key of a MAC device id (its 48-bit number with the top bit set, so never 0); 0 for any other id.</summary>
    public ulong Mac => _mac;

    public static DeviceKey From(DeviceId deviceId)
    {
        var value = deviceId.Value;
        return value.Length == 16
            && value.StartsWith("mac:", StringComparison.Ordinal)
            && ulong.TryParse(value.AsSpan(4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var mac)
            ? new DeviceKey(MacTag | mac, null)
            : new DeviceKey(0, value);
    }

    public bool Equals(DeviceKey other) =>
        _mac == other._mac && (_text is null ? other._text is null : string.Equals(_text, other._text, StringComparison.OrdinalIgnoreCase));

    public override bool Equals(object? obj) => obj is DeviceKey other && Equals(other);

    public override int GetHashCode() =>
        _text is null ? unchecked((int)BinaryPrimitives.ReverseEndianness(_mac * 0x9E3779B97F4A7C15UL)) : StringComparer.OrdinalIgnoreCase.GetHashCode(_text);
}
