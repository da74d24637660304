using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>Registers Mimisbrunnr in a service collection.</summary>
public static class MimisbrunnrServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Mimisbrunnr engine: norn registry and service, routing, per-norn dispatch and HTTP delivery. Choose a
    /// store on the returned builder (<c>UseInMemoryStore()</c>, <c>UseSqliteStore(...)</c>, ...). Options are
    /// validated when the host starts.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures <see cref="MimisbrunnrOptions"/>, after configuration binding.</param>
    /// <returns>A builder for providers.</returns>
    public static IMimisbrunnrBuilder AddMimisbrunnr(this IServiceCollection services, Action<MimisbrunnrOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new MimisbrunnrBuilder(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<MimisbrunnrMetrics>();
        var options = services.AddOptions<MimisbrunnrOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MimisbrunnrOptions>, MimisbrunnrOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MimisbrunnrOptions>, AllowedHostsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MimisbrunnrOptions>, SecretKeysValidator>());

        // First among the engine's hosted services: nothing starts with secrets that would be stored in clear.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SecretsAtRestCheck>());
        NornServices.Add(services);
        DispatchServices.Add(services);
        return builder;
    }

    private sealed class MimisbrunnrBuilder(IServiceCollection services) : IMimisbrunnrBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
