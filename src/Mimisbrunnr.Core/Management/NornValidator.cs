using System.Globalization;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Management;

/// <summary>
/// Checks a <see cref="NornRequest"/> against the norn rules and turns it into the stored form. Every failure is a
/// <see cref="NornValidationException"/> naming the field (camelCase JSON path, for example
/// <c>destination.http.url</c> or <c>filter.events[3]</c>), the rule, and a sentence for a person.
/// </summary>
/// <remarks>
/// Apart from the destination guard (which may resolve host names), validation is pure: it depends only on the
/// request, the current <see cref="MimisbrunnrOptions"/> and, for SQS destinations, the SQS package's
/// <see cref="ISqsDestinationRules"/> (queue URL shapes, regions, credentials).
/// </remarks>
internal sealed class NornValidator
{
    /// <summary>The longest device id accepted.</summary>
    public const int MaxDeviceIdLength = 256;

    /// <summary>The longest host name accepted in a URL (the DNS limit).</summary>
    public const int MaxHostLength = 253;

    /// <summary>The longest HTTP secret accepted.</summary>
    public const int MaxSecretLength = 256;

    /// <summary>The most event regexes a filter may have.</summary>
    public const int MaxFilterEvents = 10;

    /// <summary>The longest event regex accepted.</summary>
    public const int MaxFilterEventLength = 256;

    /// <summary>The most metadata pairs a filter may have.</summary>
    public const int MaxFilterMetadata = 16;

    /// <summary>The longest metadata key or value accepted.</summary>
    public const int MaxFilterMetadataLength = 256;




    private readonly IOptionsMonitor<MimisbrunnrOptions> _options;
    private readonly IDestinationGuard? _destinationGuard;
    private readonly ISqsDestinationRules? _sqsRules;

    /// <summary>Creates a validator.</summary>
    /// <param name="options">The options (limits, https-only).</param>
    /// <param name="destinationGuard">
    /// Refuses URLs on private networks (SSRF); when <see langword="null"/>, only the syntactic URL rules apply.
    /// </param>
    /// <param name="sqsRules">
    /// The host's SQS rules (service endpoint, credentials), registered by the SQS destination package; when
    /// <see langword="null"/>, the host cannot deliver to SQS and every SQS destination is refused (rule
    /// <c>notEnabled</c>), so that a norn is never accepted only to fail at its first event.
    /// </param>
    public NornValidator(
        IOptionsMonitor<MimisbrunnrOptions> options, IDestinationGuard? destinationGuard = null, ISqsDestinationRules? sqsRules = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _destinationGuard = destinationGuard;
        _sqsRules = sqsRules;
    }

    /// <summary>Validates a request.</summary>
    /// <param name="request">The request body.</param>
    /// <param name="cancellationToken">Cancels host name resolution in the destination guard.</param>
    /// <returns>The validated norn parts, with the derived id.</returns>
    /// <exception cref="NornValidationException">A rule is broken.</exception>
    public async ValueTask<ValidatedNorn> ValidateAsync(NornRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = _options.CurrentValue;
        var deviceId = ValidateDeviceId(request.DeviceId);
        var ttl = ValidateTtl(request.Ttl, options.MaxTtl);
        var (destination, urls) = ValidateDestination(request.Destination, options.Destinations);
        var filter = ValidateFilter(request.Filter);
        if (_destinationGuard is not null)
        {
            foreach (var (field, uri) in urls)
            {
                var refusal = await _destinationGuard.CheckAsync(uri, cancellationToken).ConfigureAwait(false);
                if (refusal is not null)
                {
                    throw new NornValidationException(field, refusal.Rule, $"{field}: {refusal.Message}");
                }
            }
        }

        var canonical = deviceId.ToString();
        return new ValidatedNorn(NornIdentity.Derive(canonical, destination.Key), deviceId, ttl, destination, filter);
    }

    /// <summary>Validates a device id as given in a request or a query.</summary>
    /// <param name="value">The device id or locator.</param>
    /// <param name="field">The field name to report.</param>
    /// <returns>The canonical device id.</returns>
    /// <exception cref="NornValidationException">It is missing, too long or not a device id.</exception>
    public static DeviceId ValidateDeviceId(string? value, string field = "deviceId")
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new NornValidationException(field, "required", $"{field} is required.");
        }

        if (value.Length > MaxDeviceIdLength)
        {
            throw new NornValidationException(field, "length", $"{field} is {value.Length} characters long; the maximum is {MaxDeviceIdLength}.");
        }

        if (!DeviceId.TryParse(value, out var deviceId, out var error))
        {
            throw new NornValidationException(field, "format", $"{field} '{value}' is not a device id ({error}).");
        }

        return deviceId;
    }

    private static TimeSpan ValidateTtl(long? ttl, int maxTtl)
    {
        if (ttl is not { } seconds)
        {
            throw new NornValidationException("ttl", "required", "ttl is required (seconds).");
        }

        if (seconds < 1)
        {
            throw new NornValidationException("ttl", "range", $"ttl {seconds} is below the minimum of 1 second.");
        }

        if (seconds > maxTtl)
        {
            throw new NornValidationException("ttl", "range", $"ttl {seconds} exceeds the maximum of {maxTtl} seconds.");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private (NornDestination Destination, List<(string Field, Uri Url)> Urls) ValidateDestination(
        DestinationRequest? destination,
        DestinationOptions options)
    {
        if (destination is null)
        {
            throw new NornValidationException("destination", "required", "destination is required (one of http or sqs).");
        }

        if ((destination.Http is null) == (destination.Sqs is null))
        {
            throw new NornValidationException("destination", "exactlyOne", "destination must have exactly one of http or sqs.");
        }

        var urls = new List<(string, Uri)>(2);
        if (destination.Http is { } http)
        {
            const string Prefix = "destination.http.";
            var url = ValidateUrl(http.Url, Prefix + "url", options, required: true)!;
            urls.Add((Prefix + "url", url));
            var failureUrl = ValidateUrl(http.FailureUrl, Prefix + "failureUrl", options, required: false);
            if (failureUrl is not null)
            {
                urls.Add((Prefix + "failureUrl", failureUrl));
            }

            var secret = Optional(http.Secret);
            CheckSecret(secret, Prefix + "secret", MaxSecretLength);
            return (new NornDestination
            {
                Http = new HttpDestination
                {
                    Url = NornIdentity.NormalizeUrl(http.Url!),
                    FailureUrl = failureUrl is null ? null : NornIdentity.NormalizeUrl(http.FailureUrl!),
                    Secret = secret,
                    ContentType = ValidateContentType(http.ContentType, Prefix + "contentType"),
                },
            }, urls);
        }

        return (new NornDestination { Sqs = ValidateSqs(destination.Sqs!, options, urls) }, urls);
    }

    private static Uri? ValidateUrl(string? value, string field, DestinationOptions options, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            return required ? throw new NornValidationException(field, "required", $"{field} is required.") : null;
        }

        if (value.Length > options.MaxUrlLength)
        {
            throw new NornValidationException(
                field, "length", $"{field} is {value.Length} characters long; the maximum is {options.MaxUrlLength}.");
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new NornValidationException(field, "format", $"{field} '{value}' is not an absolute URL.");
        }

        // A DNS name has at most 253 characters; longer ones cannot be resolved (nor converted to punycode).
        if (uri.Host.Length > MaxHostLength)
        {
            throw new NornValidationException(
                field, "hostLength", $"{field}: the host name is {uri.Host.Length} characters long; the maximum is {MaxHostLength}.");
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new NornValidationException(field, "scheme", $"{field} must use http or https, not '{uri.Scheme}'.");
        }

        if (options.HttpsOnly && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new NornValidationException(field, "httpsOnly", $"{field} must use https on this host.");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new NornValidationException(field, "userInfo", $"{field} must not contain user info (credentials).");
        }

        return uri;
    }

    private static string ValidateContentType(string? value, string field)
    {
        if (string.IsNullOrEmpty(value) || value.Equals(DeliveryContentTypes.Json, StringComparison.OrdinalIgnoreCase))
        {
            return DeliveryContentTypes.Json;
        }

        if (value.Equals(DeliveryContentTypes.MsgPack, StringComparison.OrdinalIgnoreCase))
        {
            return DeliveryContentTypes.MsgPack;
        }

        if (value.Equals(DeliveryContentTypes.Payload, StringComparison.OrdinalIgnoreCase))
        {
            return DeliveryContentTypes.Payload;
        }

        throw new NornValidationException(
            field,
            "oneOf",
            $"{field} '{value}' is not one of {DeliveryContentTypes.Json}, {DeliveryContentTypes.MsgPack} or {DeliveryContentTypes.Payload}.");
    }

    private SqsDestination ValidateSqs(SqsDestinationRequest sqs, DestinationOptions options, List<(string, Uri)> urls)
    {
        const string Prefix = "destination.sqs.";
        if (_sqsRules is null)
        {
            throw new NornValidationException(
                "destination.sqs",
                "notEnabled",
                "destination.sqs is not available on this host: it delivers to http destinations only (SQS delivery is not enabled).");
        }

        // The SQS package judges the queue, region, delay and credentials; what every destination shares stays here:
        // no secret in the stored form of an encrypted one, and the failure URL under the same rules as an HTTP URL.
        CheckReserved(sqs.SecretAccessKey, Prefix + "secretAccessKey");
        CheckReserved(sqs.SessionToken, Prefix + "sessionToken");
        var secret = Optional(sqs.Secret);
        CheckSecret(secret, Prefix + "secret", MaxSecretLength);
        var failureUrl = ValidateUrl(sqs.FailureUrl, Prefix + "failureUrl", options, required: false);
        if (failureUrl is not null)
        {
            urls.Add((Prefix + "failureUrl", failureUrl));
        }

        // The queue URL in its stored form (scheme and host lower-cased, ...), so that spellings of one queue are one norn.
        var queueUrl = sqs.QueueUrl is { Length: > 0 } given && Uri.TryCreate(given, UriKind.Absolute, out var parsed) && parsed.Host.Length > 0
            && string.IsNullOrEmpty(parsed.UserInfo)
            ? NornIdentity.NormalizeUrl(given)
            : sqs.QueueUrl;
        return _sqsRules.Validate(sqs with { QueueUrl = queueUrl }) with
        {
            FailureUrl = failureUrl is null ? null : NornIdentity.NormalizeUrl(sqs.FailureUrl!),
            Secret = secret,
        };
    }

    private static NornFilter? ValidateFilter(NornFilter? filter)
    {
        if (filter is null)
        {
            return null;
        }

        string[]? events = null;
        if (filter.Events is { Count: > 0 } patterns)
        {
            if (patterns.Count > MaxFilterEvents)
            {
                throw new NornValidationException(
                    "filter.events", "count", $"filter.events has {patterns.Count} patterns; the maximum is {MaxFilterEvents}.");
            }

            events = new string[patterns.Count];
            for (var i = 0; i < patterns.Count; i++)
            {
                var field = $"filter.events[{i.ToString(CultureInfo.InvariantCulture)}]";
                var pattern = patterns[i];
                if (string.IsNullOrEmpty(pattern))
                {
                    throw new NornValidationException(field, "required", $"{field} is empty.");
                }

                CheckLength(pattern, field, MaxFilterEventLength);
                if (EventFilter.Check(pattern) is var (rule, reason))
                {
                    throw new NornValidationException(field, rule, $"{field} '{Shorten(pattern)}' {reason}");
                }

                events[i] = pattern;
            }
        }

        Dictionary<string, string>? metadata = null;
        if (filter.Metadata is { Count: > 0 } pairs)
        {
            if (pairs.Count > MaxFilterMetadata)
            {
                throw new NornValidationException(
                    "filter.metadata", "count", $"filter.metadata has {pairs.Count} pairs; the maximum is {MaxFilterMetadata}.");
            }

            metadata = new Dictionary<string, string>(pairs.Count, StringComparer.Ordinal);
            foreach (var (key, value) in pairs)
            {
                if (string.IsNullOrEmpty(key))
                {
                    throw new NornValidationException("filter.metadata", "required", "filter.metadata has an empty key.");
                }

                var field = $"filter.metadata[\"{(key.Length > 64 ? key[..64] + "…" : key)}\"]";
                CheckLength(key, field, MaxFilterMetadataLength);
                if (value is null)
                {
                    throw new NornValidationException(field, "required", $"{field} has no value.");
                }

                CheckLength(value, field, MaxFilterMetadataLength);
                metadata[key] = value;
            }
        }

        return events is null && metadata is null ? null : new NornFilter { Events = events, Metadata = metadata };
    }

    private static string? Optional(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";

    /// <summary>A secret: at most <paramref name="max"/> characters, and not in the stored form of a protected secret.</summary>
    private static void CheckSecret(string? value, string field, int max)
    {
        CheckLength(value, field, max);
        CheckReserved(value, field);
    }

    private static void CheckReserved(string? value, string field)
    {
        if (!string.IsNullOrEmpty(value) && value.StartsWith(NornSecretProtector.Prefix, StringComparison.Ordinal))
        {
            throw new NornValidationException(
                field, "reserved", $"{field} must not start with '{NornSecretProtector.Prefix}' (the stored form of an encrypted secret).");
        }
    }

    private static void CheckLength(string? value, string field, int max)
    {
        if (value is not null && value.Length > max)
        {
            throw new NornValidationException(field, "length", $"{field} is {value.Length} characters long; the maximum is {max}.");
        }
    }

}
