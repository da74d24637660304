using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Hosting;

/// <summary>Health checks for Mimisbrunnr.</summary>
public static class MimisbrunnrHealthChecks
{
    /// <summary>
    /// Adds <c>mimisbrunnr-store</c> — Unhealthy while the store does not answer or the norn index has not been loaded
    /// from it (events would find no norn), Degraded while the index does not follow the store's changes (another
    /// host's writes arrive late), Healthy otherwise — and, when webhook registration is configured,
    /// <c>mimisbrunnr-registration</c> (the last registration succeeded within two intervals).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddMimisbrunnr(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddCheck<StoreHealthCheck>("mimisbrunnr-store", tags: ["ready"]);
        builder.AddCheck<RegistrationHealthCheck>("mimisbrunnr-registration", tags: ["ready"]);
        return builder;
    }

    private sealed class StoreHealthCheck(INornStore store, NornIndexState index) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await store.PingAsync(cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A health check reports any failure instead of throwing.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                return HealthCheckResult.Unhealthy("The norn store does not answer: " + ex.Message, ex);
            }

            if (!index.IsLoaded)
            {
                return HealthCheckResult.Unhealthy(index.Problem ?? "The norn index has not been loaded yet.");
            }

            if (index.Problem is { } problem)
            {
                return HealthCheckResult.Degraded(problem);
            }

            if (store is INornChangeFeedStatus { IsFollowing: false } feed)
            {
                return HealthCheckResult.Degraded("The norn index does not follow the store: " + (feed.Problem ?? "its change feed is down."));
            }

            return HealthCheckResult.Healthy("The norn store answers and the index follows it.");
        }
    }

    private sealed class RegistrationHealthCheck(IServiceProvider services, TimeProvider time) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (services.GetService<WebhookRegistrationState>() is not { } state)
            {
                return Task.FromResult(HealthCheckResult.Healthy("Webhook registration is not configured."));
            }

            var now = time.GetUtcNow();
            var window = state.Interval * 2;
            if (state.LastSuccess is { } last && now - last <= window)
            {
                return Task.FromResult(HealthCheckResult.Healthy($"Registered at {last:O}."));
            }

            if (state.LastSuccess is null && state.StartedAt is { } started && now - started <= window)
            {
                return Task.FromResult(HealthCheckResult.Degraded("Not registered yet: " + (state.LastError ?? "first attempt pending")));
            }

            return Task.FromResult(HealthCheckResult.Unhealthy(
                "No successful webhook registration within two intervals: " + (state.LastError ?? "not started")));
        }
    }
}
