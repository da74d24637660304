using System.Diagnostics.CodeAnalysis;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// A WRP locator, <c>{scheme}:{authority}/{service}/{ignored}</c>, parsed as wrp-go v5's <c>ParseLocator</c> does.
/// </summary>
/// <remarks>
/// For the <c>mac</c>, <c>uuid</c>, <c>serial</c> and <c>self</c> schemes the segment after the authority is the
/// service and the rest (with its leading <c>/</c>) is ignored. For <c>dns</c> and <c>event</c> there is no
/// service: everything after the authority is ignored.
/// </remarks>
public sealed class Locator
{
    private Locator(string scheme, string authority, string service, string ignored)
    {
        Scheme = scheme;
        Authority = authority;
        Service = service;
        Ignored = ignored;
    }

    /// <summary>The lower-case scheme: <c>mac</c>, <c>uuid</c>, <c>serial</c>, <c>dns</c>, <c>event</c> or <c>self</c>.</summary>
    public string Scheme { get; }

    /// <summary>The normalised authority (a MAC without separators, lower-case); empty for <c>self</c>.</summary>
    public string Authority { get; }

    /// <summary>The service segment, or empty.</summary>
    public string Service { get; }

    /// <summary>The ignored rest of the locator, including its leading <c>/</c>, or empty.</summary>
    public string Ignored { get; }

    /// <summary>
    /// The device id part, <c>scheme:authority</c>, as wrp-go's <c>Locator.ID</c>: empty for <c>dns</c> and
    /// <c>event</c>, <c>self:</c> for <c>self</c>.
    /// </summary>
    public string Id => Scheme is DeviceId.SchemeDns or DeviceId.SchemeEvent ? string.Empty : Scheme + ":" + Authority;

    /// <summary>The device id this locator names (<c>scheme:authority</c>, also for <c>dns</c> and <c>event</c>).</summary>
    public DeviceId DeviceId => DeviceId.FromCanonical(Scheme + ":" + Authority);

    /// <summary>Parses a locator; throws <see cref="FormatException"/> with wrp-go's reason when it is invalid.</summary>
    /// <param name="value">The locator text.</param>
    /// <returns>The parsed locator.</returns>
    public static Locator Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var locator, out var error) ? locator : throw new FormatException(error);
    }

    /// <summary>Tries to parse a locator.</summary>
    /// <param name="value">The locator text.</param>
    /// <param name="locator">The parsed locator when this returns <see langword="true"/>.</param>
    /// <returns>Whether <paramref name="value"/> is a valid locator.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out Locator? locator) =>
        TryParse(value, out locator, out _);

    /// <summary>Tries to parse a locator, and says why it is invalid when it is not.</summary>
    /// <param name="value">The locator text.</param>
    /// <param name="locator">The parsed locator when this returns <see langword="true"/>.</param>
    /// <param name="error">wrp-go's reason when this returns <see langword="false"/>.</param>
    /// <returns>Whether <paramref name="value"/> is a valid locator.</returns>
    public static bool TryParse(
        [NotNullWhen(true)] string? value,
        [NotNullWhen(true)] out Locator? locator,
        [NotNullWhen(false)] out string? error)
    {
        locator = null;
        if (!DeviceId.TryParseParts(value, out var scheme, out var authority, out var rest, out error))
        {
            error = "invalid locator: " + error;
            return false;
        }

        if (!SelfRestIsValid(scheme, rest))
        {
            error = SelfRestError;
            return false;
        }

        string service = string.Empty;
        string ignored;
        if (scheme is DeviceId.SchemeDns or DeviceId.SchemeEvent)
        {
            ignored = rest.ToString();
        }
        else if (rest.Length == 0)
        {
            ignored = string.Empty;
        }
        else
        {
            var afterSlash = rest[1..];
            var slash = afterSlash.IndexOf('/');
            if (slash < 0)
            {
                service = afterSlash.ToString();
                ignored = string.Empty;
            }
            else
            {
                service = afterSlash[..slash].ToString();
                ignored = afterSlash[slash..].ToString();
            }
        }

        locator = new Locator(scheme, authority, service, ignored);
        return true;
    }

    /// <summary>
    /// Whether wrp-go's <c>ParseLocator</c> accepts <paramref name="value"/>, without building the locator: no
    /// allocation when it does. Message validation uses this.
    /// </summary>
    /// <param name="value">The locator text.</param>
    /// <param name="error">wrp-go's reason when this returns <see langword="false"/>.</param>
    /// <returns>Whether <paramref name="value"/> is a valid locator.</returns>
    internal static bool IsParsable(string? value, [NotNullWhen(false)] out string? error)
    {
        if (!DeviceId.TryScan(value.AsSpan(), out var scheme, out _, out var rest, out error))
        {
            error = "invalid locator: " + error;
            return false;
        }

        if (!SelfRestIsValid(scheme, rest))
        {
            error = SelfRestError;
            return false;
        }

        return true;
    }

    // wrp-go: ParseDeviceID accepts "self:anything" as "self:", but ParseLocator does not. (The other device schemes
    // always leave a rest that is empty or starts with '/'; dns and event ignore whatever follows.)
    private const string SelfRestError = "invalid locator: self locator must be followed by '/' or nothing";

    private static bool SelfRestIsValid(string scheme, ReadOnlySpan<char> rest) =>
        scheme != DeviceId.SchemeSelf || rest.IsEmpty || rest[0] == '/';

    /// <summary>
    /// Applies wrp-go's <c>Locator.Validate</c> rules: a service must not contain <c>/</c>; <c>dns</c> and
    /// <c>event</c> have no service; <c>self</c> has no authority. Message validation does not call this.
    /// </summary>
    /// <returns>Whether the locator passes the stricter rules.</returns>
    public bool IsStrictlyValid()
    {
        if (Service.Contains('/', StringComparison.Ordinal))
        {
            return false;
        }

        return Scheme switch
        {
            DeviceId.SchemeDns or DeviceId.SchemeEvent => Service.Length == 0,
            DeviceId.SchemeSelf => Authority.Length == 0,
            _ => true,
        };
    }

    /// <summary>The locator as wrp-go's <c>Locator.String()</c> writes it: <c>scheme:authority[/service]ignored</c>.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() =>
        Service.Length == 0
            ? string.Concat(Scheme, ":", Authority, Ignored)
            : string.Concat(Scheme, ":", Authority, "/", Service, Ignored);
}
