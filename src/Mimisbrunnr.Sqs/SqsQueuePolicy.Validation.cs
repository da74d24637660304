using System.Globalization;
using System.Text.RegularExpressions;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Sqs;

/// <content>
/// Registration: the shapes of SQS queue URLs and regions, the delay, and the credentials a norn gives (or, where the
/// host allows it, borrows).
/// </content>
internal sealed partial class SqsQueuePolicy
{
    /// <summary>The longest region, access key id or secret access key accepted.</summary>
    internal const int MaxFieldLength = 256;

    /// <summary>The longest session token accepted (STS tokens are routinely several hundred characters).</summary>
    internal const int MaxSessionTokenLength = 2048;

    /// <summary>The largest <c>DelaySeconds</c> SQS accepts.</summary>
    internal const int MaxDelaySeconds = 900;

    private const int MaxQueueUrlLength = 2048;

    public SqsDestination Validate(SqsDestinationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var queueUrl = request.QueueUrl;
        if (string.IsNullOrEmpty(queueUrl))
        {
            throw new NornValidationException(Prefix + "queueUrl", "required", Prefix + "queueUrl is required.");
        }

        CheckLength(queueUrl, Prefix + "queueUrl", MaxQueueUrlLength);
        var match = QueueUrlPattern().Match(queueUrl);
        if (!match.Success)
        {
            match = LegacyQueueUrlPattern().Match(queueUrl);
        }

        string? urlRegion = null;
        if (match.Success)
        {
            urlRegion = match.Groups["region"].Value;
        }
        else if (!Uri.TryCreate(queueUrl, UriKind.Absolute, out var endpointQueueUrl) || !IsServiceEndpointQueueUrl(endpointQueueUrl))
        {
            throw new NornValidationException(
                Prefix + "queueUrl",
                "format",
                $"{Prefix}queueUrl '{queueUrl}' is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<12-digit account>/<queue name>, "
                + "or a queue URL under this host's SQS service endpoint).");
        }

        var region = Optional(request.Region);
        if (region is not null)
        {
            CheckLength(region, Prefix + "region", MaxFieldLength);
            if (!RegionPattern().IsMatch(region))
            {
                throw new NornValidationException(Prefix + "region", "format", $"{Prefix}region '{region}' is not an AWS region name.");
            }

            if (urlRegion is not null && !string.Equals(region, urlRegion, StringComparison.Ordinal))
            {
                throw new NornValidationException(
                    Prefix + "region", "mismatch", $"{Prefix}region '{region}' differs from the queue URL's region '{urlRegion}'.");
            }
        }

        var delay = request.DelaySeconds ?? 0;
        if (delay is < 0 or > MaxDelaySeconds)
        {
            throw new NornValidationException(
                Prefix + "delaySeconds",
                "range",
                $"{Prefix}delaySeconds {delay.ToString(CultureInfo.InvariantCulture)} is outside 0..{MaxDelaySeconds}.");
        }

        var accessKeyId = Optional(request.AccessKeyId);
        var secretAccessKey = Optional(request.SecretAccessKey);
        var sessionToken = Optional(request.SessionToken);
        CheckLength(accessKeyId, Prefix + "accessKeyId", MaxFieldLength);
        CheckLength(secretAccessKey, Prefix + "secretAccessKey", MaxFieldLength);
        CheckLength(sessionToken, Prefix + "sessionToken", MaxSessionTokenLength);
        if (accessKeyId is null && secretAccessKey is not null)
        {
            throw new NornValidationException(
                Prefix + "accessKeyId", "together", $"{Prefix}accessKeyId is required when secretAccessKey is given.");
        }

        if (accessKeyId is not null && secretAccessKey is null)
        {
            throw new NornValidationException(
                Prefix + "secretAccessKey", "together", $"{Prefix}secretAccessKey is required when accessKeyId is given.");
        }

        if (sessionToken is not null && accessKeyId is null)
        {
            throw new NornValidationException(
                Prefix + "sessionToken", "together", $"{Prefix}sessionToken needs accessKeyId and secretAccessKey.");
        }

        var destination = new SqsDestination
        {
            QueueUrl = queueUrl,
            Region = region ?? urlRegion ?? DefaultRegion,
            DelaySeconds = delay,
            AccessKeyId = accessKeyId,
            SecretAccessKey = secretAccessKey,
            SessionToken = sessionToken,
        };
        if (Check(destination) is { } refusal)
        {
            throw new NornValidationException(refusal.Field, refusal.Rule, refusal.Message);
        }

        return destination;
    }

    private static string? Optional(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static void CheckLength(string? value, string field, int max)
    {
        if (value is not null && value.Length > max)
        {
            throw new NornValidationException(field, "length", $"{field} is {value.Length} characters long; the maximum is {max}.");
        }
    }

    // https://sqs[-fips].<region>.amazonaws.com[.cn]/<account>/<name> (the regional endpoints are dual-stack too;
    // FIPS endpoints exist in the US and GovCloud regions); names: 1..80 of [A-Za-z0-9_-], FIFO queues end in .fifo.
    [GeneratedRegex(@"^https://sqs(?:-fips)?\.(?<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?<account>[0-9]{12})/(?<name>[A-Za-z0-9_-]{1,75}(?:\.fifo)?|[A-Za-z0-9_-]{1,80})$", RegexOptions.CultureInvariant)]
    private static partial Regex QueueUrlPattern();

    // The legacy form https://<region>.queue.amazonaws.com/<account>/<name>.
    [GeneratedRegex(@"^https://(?<region>[a-z0-9-]+)\.queue\.amazonaws\.com/(?<account>[0-9]{12})/(?<name>[A-Za-z0-9_-]{1,75}(?:\.fifo)?|[A-Za-z0-9_-]{1,80})$", RegexOptions.CultureInvariant)]
    private static partial Regex LegacyQueueUrlPattern();

    [GeneratedRegex(@"^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$", RegexOptions.CultureInvariant)]
    internal static partial Regex RegionPattern();
}
