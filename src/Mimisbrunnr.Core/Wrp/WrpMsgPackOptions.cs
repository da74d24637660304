namespace Mimisbrunnr.Wrp;

/// <summary>Limits that <see cref="WrpMsgPack"/> applies when decoding untrusted input.</summary>
/// <remarks>
/// Inputs inside these limits decode exactly as wrp-go v5 decodes them. The limits exist so that hostile input
/// fails fast with a <see cref="WrpFormatException"/> instead of using unbounded memory or time.
/// </remarks>
public sealed class WrpMsgPackOptions
{
    /// <summary>The default <see cref="MaxInputLength"/>: 16 MiB.</summary>
    public const int DefaultMaxInputLength = 16 * 1024 * 1024;

    /// <summary>The default <see cref="MaxSkipDepth"/>: 64.</summary>
    public const int DefaultMaxSkipDepth = 64;

    /// <summary>The largest <see cref="MaxSkipDepth"/>: 100000, the recursion limit of msgp (which wrp-go uses).</summary>
    public const int MsgpRecursionLimit = 100_000;

    /// <summary>The defaults: 16 MiB of input, unknown values nested at most 64 deep.</summary>
    public static WrpMsgPackOptions Default { get; } = new();

    /// <summary>
    /// The largest input, in bytes, that is decoded (trailing bytes after the message included). Longer inputs are
    /// rejected before any parsing. Default <see cref="DefaultMaxInputLength"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxInputLength
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            field = value;
        }
    } = DefaultMaxInputLength;

    /// <summary>
    /// How deeply the value of an unknown key may nest arrays and maps: a value inside this many containers is
    /// rejected. The value of the key itself is at depth 0. wrp-go (msgp <c>Skip</c>) uses 100000
    /// (<see cref="MsgpRecursionLimit"/>); the default, <see cref="DefaultMaxSkipDepth"/>, is far deeper than any
    /// producer writes (wrp-c 1.x spans are 2 deep). Skipping is iterative whatever the limit, and it keeps one
    /// 4-byte counter per open container.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 1 and <see cref="MsgpRecursionLimit"/>.</exception>
    public int MaxSkipDepth
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MsgpRecursionLimit);
            field = value;
        }
    } = DefaultMaxSkipDepth;
}
