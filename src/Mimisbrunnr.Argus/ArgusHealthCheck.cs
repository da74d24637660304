using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mimisbrunnr.Argus;

/// <summary>
/// Reports the Argus store from what its poller saw, without a request of its own: Unhealthy when Argus refused the
/// host's credentials, owner or bucket (401/403), Degraded while polls fail (the host routes with its last view of the
/// bucket and registrations fail with 503), Healthy otherwise.
/// </summary>
internal sealed class ArgusHealthCheck(ArgusNornStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["consecutivePollFailures"] = store.ConsecutivePollFailures,
        };
        if (store.LastPollSucceededAt is { } last)
        {
            data["lastPollSucceededAt"] = last;
        }

        if (store.IsConfigurationError)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                "Argus refused this host's credentials, owner or bucket (Mimisbrunnr:Argus): " + (store.LastPollError ?? "401/403"),
                data: data));
        }

        if (store.ConsecutivePollFailures > 0)
        {
            return Task.FromResult(HealthCheckResult.Degraded(
                $"{store.ConsecutivePollFailures} poll(s) of Argus failed in a row; routing with the last view of the bucket: {store.LastPollError}",
                data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy(
            store.LastPollSucceededAt is { } at ? $"Argus polled at {at:O}." : "Argus not polled yet.",
            data));
    }
}
