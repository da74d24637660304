using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.DependencyInjection;

namespace Mimisbrunnr.Hosting;

/// <summary>Configures the HTTP side of Mimisbrunnr.</summary>
public static class MimisbrunnrHostingBuilderExtensions
{
    /// <summary>
    /// Configures the <c>/events</c> endpoint (secret, unsigned events, body limit). Without a secret, and without
    /// <see cref="MimisbrunnrEventsOptions.AllowUnsigned"/>, the host refuses to start.
    /// </summary>
    /// <param name="builder">The Mimisbrunnr builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMimisbrunnrBuilder ConfigureEvents(this IMimisbrunnrBuilder builder, Action<MimisbrunnrEventsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddHostingOptions(builder.Services);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Configures the <c>/norns</c> API (owner claim, body limit, quota Retry-After).</summary>
    /// <param name="builder">The Mimisbrunnr builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMimisbrunnrBuilder ConfigureApi(this IMimisbrunnrBuilder builder, Action<MimisbrunnrApiOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddHostingOptions(builder.Services);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Binds <c>Mimisbrunnr</c> (engine options), <c>Mimisbrunnr:Events</c>, <c>Mimisbrunnr:Api</c> and, when present,
    /// <c>Mimisbrunnr:Webhook</c> from configuration.
    /// </summary>
    /// <param name="builder">The Mimisbrunnr builder.</param>
    /// <param name="configuration">The app configuration (root).</param>
    /// <returns>The builder.</returns>
    public static IMimisbrunnrBuilder BindConfiguration(this IMimisbrunnrBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        AddHostingOptions(builder.Services);
        builder.Services.Configure<MimisbrunnrOptions>(configuration.GetSection(MimisbrunnrOptions.SectionName));
        builder.Services.Configure<MimisbrunnrEventsOptions>(configuration.GetSection(MimisbrunnrEventsOptions.SectionName));
        builder.Services.Configure<MimisbrunnrApiOptions>(configuration.GetSection(MimisbrunnrApiOptions.SectionName));
        builder.Services.Configure<NornRateLimitOptions>(configuration.GetSection(NornRateLimitOptions.SectionName));
        var webhook = configuration.GetSection(WebhookRegistrationOptions.SectionName);
        if (!string.IsNullOrWhiteSpace(webhook[nameof(WebhookRegistrationOptions.RegistrationUrl)]))
        {
            builder.AddWebhookRegistration(options => webhook.Bind(options));
        }

        return builder;
    }

    internal static void AddHostingOptions(IServiceCollection services)
    {
        // One rule set per options class (the classes' own attributes and IValidatableObject), run at start and on every
        // reload; MapMimisbrunnr also runs the events rules for hosts that never configured the events options.
        services.AddOptions<MimisbrunnrEventsOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MimisbrunnrEventsOptions>, EventsOptionsValidator>());
        services.AddOptions<MimisbrunnrApiOptions>().ValidateOnStart();
        services.TryAddSingleton<INornPartnerSource, ClaimsPartnerSource>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MimisbrunnrApiOptions>, ApiOptionsValidator>());
    }

}
