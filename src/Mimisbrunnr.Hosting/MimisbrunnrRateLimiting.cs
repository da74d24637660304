using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.DependencyInjection;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// Per-owner rate limiting of the <c>/norns</c> API with ASP.NET Core's rate limiter: each owner (anonymous callers: each
/// client address) gets a token bucket; a caller over it gets 429 with <c>Retry-After</c>, and other owners are not
/// slowed. Add it with <see cref="AddNornRateLimiting"/>, then <c>app.UseRateLimiter()</c> and
/// <c>app.MapMimisbrunnr().Norns.RequireRateLimiting(MimisbrunnrRateLimiting.PolicyName)</c>.
/// </summary>
public static class MimisbrunnrRateLimiting
{
    /// <summary>The name of the rate limiting policy: <c>Mimisbrunnr.Norns</c>.</summary>
    public const string PolicyName = "Mimisbrunnr.Norns";

    /// <summary>Registers the <see cref="PolicyName"/> policy, with options bound from <c>Mimisbrunnr:Api:RateLimit</c> when configured.</summary>
    /// <param name="builder">The Mimisbrunnr builder.</param>
    /// <param name="configure">Sets the limits after binding; optional.</param>
    /// <returns>The builder.</returns>
    public static IMimisbrunnrBuilder AddNornRateLimiting(this IMimisbrunnrBuilder builder, Action<NornRateLimitOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<NornRateLimitOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NornRateLimitOptions>, NornRateLimitOptionsValidator>());
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(PolicyName, context =>
            {
                var limits = context.RequestServices.GetRequiredService<IOptionsMonitor<NornRateLimitOptions>>().CurrentValue;
                if (!limits.Enabled)
                {
                    return RateLimitPartition.GetNoLimiter("off");
                }

                var api = context.RequestServices.GetRequiredService<IOptionsMonitor<MimisbrunnrApiOptions>>().CurrentValue;
                var partition = NornEndpoints.Owner(context, api) is { } owner
                    ? "owner:" + owner
                    : "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limits.Burst,
                    TokensPerPeriod = limits.RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = static async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problems.Create(
                        StatusCodes.Status429TooManyRequests,
                        "Too many requests",
                        $"This caller sends requests faster than the host allows; retry in {seconds} seconds.",
                        null,
                        "rateLimit")
                    .ExecuteAsync(context.HttpContext).ConfigureAwait(false);
            };
        });
        return builder;
    }
}

/// <summary>The per-owner limits of the <c>/norns</c> API, bound from <c>Mimisbrunnr:Api:RateLimit</c>.</summary>
public sealed class NornRateLimitOptions
{
    /// <summary>The configuration section: <c>Mimisbrunnr:Api:RateLimit</c>.</summary>
    public const string SectionName = "Mimisbrunnr:Api:RateLimit";

    /// <summary>Whether the limits apply (default <see langword="true"/>); <see langword="false"/> lets every request through.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Requests per second each owner may sustain (default 50).</summary>
    [ConfigurationRange(1, 1_000_000, ErrorMessage = "Mimisbrunnr:Api:RateLimit:RequestsPerSecond must be from {1} to {2}.")]
    public int RequestsPerSecond { get; set; } = 50;

    /// <summary>Requests an owner may send at once after a quiet while (default 200).</summary>
    [ConfigurationRange(1, 1_000_000, ErrorMessage = "Mimisbrunnr:Api:RateLimit:Burst must be from {1} to {2}.")]
    public int Burst { get; set; } = 200;
}

/// <summary>The rules of <see cref="NornRateLimitOptions"/>, generated at build time.</summary>
[OptionsValidator]
internal sealed partial class NornRateLimitOptionsValidator : IValidateOptions<NornRateLimitOptions>;
