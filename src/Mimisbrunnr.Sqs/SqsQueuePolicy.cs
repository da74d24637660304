using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Sqs;

/// <summary>
/// The host's SQS rules, applied at registration (<see cref="ISqsDestinationRules.Validate"/>) and, for credentials,
/// again before every delivery (options may have changed since): AWS's queue URL shapes and those under
/// <see cref="SqsDestinationOptions.ServiceUrl"/> are accepted, and a norn without credentials of its own is refused
/// unless ambient credentials are enabled and its queue is allowed.
/// </summary>
internal sealed partial class SqsQueuePolicy : ISqsDestinationRules
{
    private const string Prefix = "destination.sqs.";
    private readonly IOptionsMonitor<SqsDestinationOptions> _options;

    public SqsQueuePolicy(IOptionsMonitor<SqsDestinationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>The region of a norn whose queue URL names none and that gives none itself.</summary>
    public string DefaultRegion => _options.CurrentValue.DefaultRegion;

    /// <summary>
    /// The endpoint SQS requests for <paramref name="queueUrl"/> go to: the configured service URL, or the scheme and
    /// authority of the queue URL itself (an AWS endpoint, as validated at registration).
    /// </summary>
    public string EndpointFor(Uri queueUrl)
    {
        var serviceUrl = _options.CurrentValue.ServiceUrl;
        return serviceUrl is not null
            ? serviceUrl.GetLeftPart(UriPartial.Path).TrimEnd('/')
            : queueUrl.GetLeftPart(UriPartial.Authority);
    }

    public bool IsServiceEndpointQueueUrl(Uri queueUrl)
    {
        ArgumentNullException.ThrowIfNull(queueUrl);
        var serviceUrl = _options.CurrentValue.ServiceUrl;
        if (serviceUrl is null
            || !queueUrl.IsAbsoluteUri
            || !string.Equals(queueUrl.Scheme, serviceUrl.Scheme, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(queueUrl.IdnHost, serviceUrl.IdnHost, StringComparison.OrdinalIgnoreCase)
            || queueUrl.Port != serviceUrl.Port
            || !string.IsNullOrEmpty(queueUrl.UserInfo)
            || !string.IsNullOrEmpty(queueUrl.Query)
            || !string.IsNullOrEmpty(queueUrl.Fragment))
        {
            return false;
        }

        var basePath = serviceUrl.AbsolutePath.TrimEnd('/') + "/";
        var path = queueUrl.AbsolutePath;
        if (!path.StartsWith(basePath, StringComparison.Ordinal))
        {
            return false;
        }

        // <account>/<queue name>: what SQS endpoints (AWS's, VPC endpoints, emulators) serve.
        return EndpointQueuePath().IsMatch(path[basePath.Length..]);
    }

    /// <summary>Whether the host lets this destination be delivered with the credentials it has (or lacks).</summary>
    public SqsDestinationRefusal? Check(SqsDestination destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!string.IsNullOrEmpty(destination.AccessKeyId))
        {
            return null; // the norn's own credentials: its owner answers for what they may write to
        }

        var options = _options.CurrentValue;
        if (!options.AllowAmbientCredentials)
        {
            return new SqsDestinationRefusal(
                Prefix + "accessKeyId",
                "required",
                $"{Prefix}accessKeyId and {Prefix}secretAccessKey are required: this host does not lend its own AWS credentials to norns.");
        }

        if (!IsAllowed(destination.QueueUrl, options.AllowedQueues))
        {
            return new SqsDestinationRefusal(
                Prefix + "queueUrl",
                "notAllowed",
                $"{Prefix}queueUrl '{destination.QueueUrl}' is not on this host's allow-list for its own AWS credentials; "
                + $"give {Prefix}accessKeyId and {Prefix}secretAccessKey to deliver to it.");
        }

        return null;
    }

    /// <summary>Whether an allow-list entry is well formed: a 12-digit account id or an absolute http(s) URL pattern.</summary>
    internal static bool IsValidAllowListEntry(string? entry) =>
        !string.IsNullOrWhiteSpace(entry)
        && (AccountId().IsMatch(entry)
            || (Uri.TryCreate(entry.Replace("*", "x", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)));

    /// <summary>Whether <paramref name="queueUrl"/> is matched by an entry of <paramref name="allowList"/>.</summary>
    internal static bool IsAllowed(string queueUrl, IEnumerable<string> allowList)
    {
        var account = AccountOf(queueUrl);
        foreach (var entry in allowList)
        {
            if (string.IsNullOrEmpty(entry))
            {
                continue;
            }

            if (AccountId().IsMatch(entry)
                ? string.Equals(entry, account, StringComparison.Ordinal)
                : GlobMatches(entry, queueUrl))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The account id of a queue URL: its second-last path segment when that is 12 digits.</summary>
    internal static string? AccountOf(string queueUrl)
    {
        if (!Uri.TryCreate(queueUrl, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length >= 2 && AccountId().IsMatch(segments[^2]) ? segments[^2] : null;
    }

    /// <summary>Whether a queue's name marks it as FIFO (<c>.fifo</c>).</summary>
    internal static bool IsFifo(string queueUrl) => queueUrl.EndsWith(".fifo", StringComparison.Ordinal);

    /// <summary>The queue name: the last path segment.</summary>
    internal static string QueueName(string queueUrl)
    {
        var slash = queueUrl.LastIndexOf('/');
        return slash < 0 ? queueUrl : queueUrl[(slash + 1)..];
    }

    /// <summary>
    /// Matches a whole <paramref name="text"/> against <paramref name="pattern"/>, where <c>*</c> stands for any run
    /// (possibly empty) of characters other than <c>/</c>; ordinal, case-sensitive (queue names are).
    /// </summary>
    internal static bool GlobMatches(string pattern, string text)
    {
        // Iterative wildcard matching with backtracking to the last star; a star never crosses a '/'.
        int p = 0, t = 0, starP = -1, starT = -1;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (starP >= 0 && text[starT] != '/')
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    [GeneratedRegex("^[0-9]{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex AccountId();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,80}/(?:[A-Za-z0-9_-]{1,75}\.fifo|[A-Za-z0-9_-]{1,80})$", RegexOptions.CultureInvariant)]
    private static partial Regex EndpointQueuePath();
}

/// <summary>Why an SQS destination is refused: reported as a validation error of <paramref name="Field"/>.</summary>
/// <param name="Field">The field, for example <c>destination.sqs.accessKeyId</c>.</param>
/// <param name="Rule">The rule broken, for example <c>required</c> or <c>notAllowed</c>.</param>
/// <param name="Message">A sentence for a person; never holds a secret.</param>
internal sealed record SqsDestinationRefusal(string Field, string Rule, string Message);
