using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mimisbrunnr.Argus;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>Health check of the Argus store.</summary>
public static class ArgusHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds <c>mimisbrunnr-argus</c> (tag <c>ready</c>): Unhealthy when Argus refuses this host's credentials, owner or
    /// bucket, Degraded while polls of the bucket fail, Healthy otherwise. Needs <c>UseArgusStore</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddMimisbrunnrArgus(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(new HealthCheckRegistration(
            "mimisbrunnr-argus",
            static sp => new ArgusHealthCheck(sp.GetRequiredService<ArgusNornStore>()),
            failureStatus: null,
            tags: ["ready"]));
        return builder;
    }
}
