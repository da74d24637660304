using Microsoft.Extensions.Options;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Delivery;

/// <summary>
/// The cross-field and range checks of <see cref="DeliveryOptions"/> and <see cref="DestinationOptions"/> that data
/// annotations cannot express (time spans, the allow-list syntax), and the secret keys, run when the host starts.
/// </summary>
internal sealed class DeliveryOptionsValidator : IValidateOptions<MimisbrunnrOptions>
{
    // Polly's limits for a timeout strategy and a retry delay.
    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, MimisbrunnrOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var delivery = options.Delivery;
        if (delivery is null)
        {
            failures.Add("Mimisbrunnr:Delivery is required.");
        }
        else
        {
            Between(failures, "Delivery:Timeout", delivery.Timeout, MinTimeout, MaxDelay);
            Between(failures, "Delivery:RetryBaseDelay", delivery.RetryBaseDelay, TimeSpan.Zero, MaxDelay);
            Between(failures, "Delivery:MaxRetryAfter", delivery.MaxRetryAfter, TimeSpan.Zero, MaxDelay);
            Between(failures, "Delivery:CutOffPeriod", delivery.CutOffPeriod, TimeSpan.FromTicks(1), MaxDelay);
            Between(failures, "Delivery:IdleTimeout", delivery.IdleTimeout, TimeSpan.FromMilliseconds(1), MaxDelay);
            Between(failures, "Delivery:DrainTimeout", delivery.DrainTimeout, TimeSpan.Zero, MaxDelay);
        }

        if (options.Destinations is { } destinations)
        {
            foreach (var entry in destinations.AllowedHosts)
            {
                if (DestinationPolicy.ParseEntry(entry, out _, out _) == DestinationPolicy.EntryKind.Invalid)
                {
                    failures.Add(
                        $"Mimisbrunnr:Destinations:AllowedHosts entry '{entry}' is neither a host name, '*.suffix', an IP address nor a CIDR range.");
                }
            }
        }

        var keyIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.SecretKeys.Count; i++)
        {
            if (!NornSecretProtector.TryDecodeKey(options.SecretKeys[i], out var key))
            {
                failures.Add($"Mimisbrunnr:SecretKeys:{i} must be the base64 of exactly 32 bytes (openssl rand -base64 32).");
            }
            else if (!keyIds.Add(NornSecretProtector.KeyId(key)))
            {
                failures.Add($"Mimisbrunnr:SecretKeys:{i} repeats an earlier key.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Between(List<string> failures, string field, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add($"Mimisbrunnr:{field} {value} must be between {min} and {max}.");
        }
    }
}
