using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Sqs;

/// <summary>Validates <see cref="SqsDestinationOptions"/> when the host starts, naming the configuration key.</summary>
internal sealed class SqsDestinationOptionsValidator : IValidateOptions<SqsDestinationOptions>
{
    private const string Section = SqsDestinationOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, SqsDestinationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.ServiceUrl is { } serviceUrl
            && (!serviceUrl.IsAbsoluteUri
                || (serviceUrl.Scheme != Uri.UriSchemeHttp && serviceUrl.Scheme != Uri.UriSchemeHttps)
                || !string.IsNullOrEmpty(serviceUrl.UserInfo)
                || !string.IsNullOrEmpty(serviceUrl.Query)
                || !string.IsNullOrEmpty(serviceUrl.Fragment)))
        {
            failures.Add($"{Section}ServiceUrl '{serviceUrl}' must be an absolute http or https URL without user info, query or fragment.");
        }

        if (string.IsNullOrEmpty(options.DefaultRegion) || !SqsQueuePolicy.RegionPattern().IsMatch(options.DefaultRegion))
        {
            failures.Add($"{Section}DefaultRegion '{options.DefaultRegion}' is not an AWS region name.");
        }

        foreach (var entry in options.AllowedQueues)
        {
            if (!SqsQueuePolicy.IsValidAllowListEntry(entry))
            {
                failures.Add($"{Section}AllowedQueues entry '{entry}' is neither a 12-digit account id nor an http(s) queue URL pattern.");
            }
        }

        if (options.ClientCacheSize is < 1 or > 100_000)
        {
            failures.Add($"{Section}ClientCacheSize {options.ClientCacheSize} is outside 1..100000.");
        }

        if (options.MaxBatchSize is < 1 or > SqsDestinationOptions.MaxEntriesPerBatch)
        {
            failures.Add($"{Section}MaxBatchSize {options.MaxBatchSize} is outside 1..{SqsDestinationOptions.MaxEntriesPerBatch}.");
        }

        if (options.Retries is < 0 or > 20)
        {
            failures.Add($"{Section}Retries {options.Retries} is outside 0..20.");
        }

        if (options.RetryBaseDelay is { } baseDelay && baseDelay < TimeSpan.Zero)
        {
            failures.Add($"{Section}RetryBaseDelay must not be negative.");
        }

        if (options.MaxRetryDelay is { } maxDelay && maxDelay < TimeSpan.Zero)
        {
            failures.Add($"{Section}MaxRetryDelay must not be negative.");
        }

        if (options.FailureNoticeInterval < TimeSpan.Zero)
        {
            failures.Add($"{Section}FailureNoticeInterval must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

}
