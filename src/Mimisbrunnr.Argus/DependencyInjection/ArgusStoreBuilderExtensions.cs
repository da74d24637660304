using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Argus;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>Chooses the Argus norn store.</summary>
public static class ArgusStoreBuilderExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> that talks to Argus and its token source.</summary>
    public const string HttpClientName = "Mimisbrunnr.Argus";

    /// <summary>
    /// Keeps norns in an XMiDT Argus bucket (<see cref="ArgusNornStore"/>) that several host instances may share,
    /// each polling it every <see cref="ArgusStoreOptions.PullInterval"/>. Replaces the in-memory default. The options
    /// are validated when the host starts, and the host refuses to start when <c>Mimisbrunnr:MaxTtl</c> exceeds
    /// <see cref="ArgusStoreOptions.ItemMaxTtl"/>.
    /// </summary>
    /// <param name="builder">The builder from <c>AddMimisbrunnr()</c>.</param>
    /// <param name="configure">Sets the options (at least <see cref="ArgusStoreOptions.Address"/>).</param>
    /// <returns>The builder.</returns>
    public static IMimisbrunnrBuilder UseArgusStore(this IMimisbrunnrBuilder builder, Action<ArgusStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddArgusStore(builder.Services).Configure(configure);
        return builder;
    }

    /// <summary>
    /// Keeps norns in an XMiDT Argus bucket, with options bound from a configuration section (the sample server binds
    /// <c>Mimisbrunnr:Argus</c>: <c>Address</c>, <c>Bucket</c>, <c>PullInterval</c>, <c>Owner</c>, <c>Basic</c>,
    /// <c>Jwt:AuthUrl</c>, <c>Jwt:Basic</c>, <c>OwnerHeader</c>, <c>ItemMaxTtl</c>, <c>Timeout</c>). See the other overload.
    /// </summary>
    /// <param name="builder">The builder from <c>AddMimisbrunnr()</c>.</param>
    /// <param name="section">The section holding the options.</param>
    /// <returns>The builder.</returns>
    public static IMimisbrunnrBuilder UseArgusStore(this IMimisbrunnrBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        AddArgusStore(builder.Services).Bind(section);
        return builder;
    }

    private static OptionsBuilder<ArgusStoreOptions> AddArgusStore(IServiceCollection services)
    {
        var options = services.AddOptions<ArgusStoreOptions>().ValidateOnStart();
        services.TryAddSingleton(static sp => new ArgusEngineLimits(() => EngineMaxTtl(sp)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ArgusStoreOptions>, ArgusStoreOptionsValidator>());

        // One long-lived client: the handler is kept for the store's life, and connections are recycled so that DNS
        // changes of Argus are followed. The store applies its own timeout to each attempt.
        services.AddHttpClient(HttpClientName, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.TryAddSingleton(static sp => new ArgusNornStore(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<IOptions<ArgusStoreOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<ArgusNornStore>>()));
        services.Replace(ServiceDescriptor.Singleton<INornStore>(static sp => sp.GetRequiredService<ArgusNornStore>()));
        return options;
    }

    private static int? EngineMaxTtl(IServiceProvider services)
    {
        try
        {
            return services.GetService<IOptions<MimisbrunnrOptions>>()?.Value.MaxTtl;
        }
        catch (OptionsValidationException)
        {
            // The engine's own validation reports its options; this check needs valid ones.
            return null;
        }
    }
}
