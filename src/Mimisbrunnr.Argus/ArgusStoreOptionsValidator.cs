using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Argus;

/// <summary>
/// Validates <see cref="ArgusStoreOptions"/> when the host starts, naming each configuration key, and refuses an
/// engine <c>MaxTtl</c> longer than Argus keeps items (Argus would shorten those norns without a word).
/// </summary>
internal sealed partial class ArgusStoreOptionsValidator(ArgusEngineLimits engine) : IValidateOptions<ArgusStoreOptions>
{
    private const string Section = ArgusStoreOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, ArgusStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Check(options);
        if (engine.MaxTtlSeconds() is { } maxTtl && options.ItemMaxTtl > TimeSpan.Zero
            && TimeSpan.FromSeconds(maxTtl) > options.ItemMaxTtl)
        {
            failures.Add(
                $"Mimisbrunnr:MaxTtl ({maxTtl.ToString(CultureInfo.InvariantCulture)} s) exceeds {Section}ItemMaxTtl "
                + $"({options.ItemMaxTtl.ToString("c", CultureInfo.InvariantCulture)}): Argus would silently shorten such norns. "
                + "Lower Mimisbrunnr:MaxTtl, or raise the Argus server's itemMaxTTL and Mimisbrunnr:Argus:ItemMaxTtl with it.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The checks that need nothing but the options (also used by the store's constructor).</summary>
    internal static List<string> Check(ArgusStoreOptions options)
    {
        var failures = new List<string>();
        if (options.Address is not { IsAbsoluteUri: true } address
            || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(address.UserInfo)
            || !string.IsNullOrEmpty(address.Query)
            || !string.IsNullOrEmpty(address.Fragment))
        {
            failures.Add($"{Section}Address is required: the absolute http or https URL of the Argus server, without user info, query or fragment.");
        }

        if (options.Bucket is null || !BucketPattern().IsMatch(options.Bucket))
        {
            failures.Add(
                $"{Section}Bucket '{options.Bucket}' must be 3 to 63 lowercase letters, digits and hyphens, beginning and ending with a letter or digit.");
        }

        if (options.PullInterval <= TimeSpan.Zero)
        {
            failures.Add($"{Section}PullInterval must be positive.");
        }

        if (options.Owner is not null && !OwnerPattern().IsMatch(options.Owner))
        {
            failures.Add($"{Section}Owner must be 10 to 60 characters (Argus's owner rule), or unset.");
        }

        if (!string.IsNullOrEmpty(options.Basic) && !options.Basic.Contains(':', StringComparison.Ordinal))
        {
            failures.Add($"{Section}Basic must be user:password.");
        }

        if (options.Jwt is null)
        {
            failures.Add($"{Section}Jwt must not be null.");
        }
        else
        {
            if (options.Jwt.AuthUrl is { } authUrl
                && (!authUrl.IsAbsoluteUri || (authUrl.Scheme != Uri.UriSchemeHttp && authUrl.Scheme != Uri.UriSchemeHttps)))
            {
                failures.Add($"{Section}Jwt:AuthUrl must be an absolute http or https URL.");
            }

            if (!string.IsNullOrEmpty(options.Jwt.Basic) && !options.Jwt.Basic.Contains(':', StringComparison.Ordinal))
            {
                failures.Add($"{Section}Jwt:Basic must be user:password.");
            }
        }

        if (!string.Equals(options.OwnerHeader, ArgusStoreOptions.XmidtOwnerHeader, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(options.OwnerHeader, ArgusStoreOptions.MidtOwnerHeader, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add(
                $"{Section}OwnerHeader '{options.OwnerHeader}' must be {ArgusStoreOptions.XmidtOwnerHeader} or {ArgusStoreOptions.MidtOwnerHeader}.");
        }

        if (options.ItemMaxTtl < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{Section}ItemMaxTtl must be at least 1 second.");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"{Section}Timeout must be positive.");
        }

        return failures;
    }

    // Argus's default rules; \z because Go's $ ends the text, where .NET's also matches before a final newline.
    [GeneratedRegex(@"^[0-9a-z][0-9a-z-]{1,61}[0-9a-z]\z", RegexOptions.CultureInvariant)]
    internal static partial Regex BucketPattern();

    [GeneratedRegex(@"^.{10,60}\z", RegexOptions.CultureInvariant)]
    internal static partial Regex OwnerPattern();
}

/// <summary>
/// The engine limits the Argus options are checked against, read when the host starts (the engine's options type is
/// resolved where the builder extensions live).
/// </summary>
/// <param name="MaxTtlSeconds">Reads <c>Mimisbrunnr:MaxTtl</c>, or <see langword="null"/> when it cannot be read.</param>
internal sealed record ArgusEngineLimits(Func<int?> MaxTtlSeconds);
