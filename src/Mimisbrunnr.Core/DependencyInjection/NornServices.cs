using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>Registers the norn side: registry, norn service, routing, expiry sweeping, default store.</summary>
internal static class NornServices
{
    public static void Add(IMimisbrunnrBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        // The default store; UseSqliteStore(...) and the other providers replace it.
        services.TryAddSingleton<INornStore, InMemoryNornStore>();

        services.TryAddSingleton<NornRegistry>();
        services.TryAddSingleton<INornRegistry>(static sp => sp.GetRequiredService<NornRegistry>());
        services.TryAddSingleton(static sp => new NornValidator(
            sp.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>(),
            sp.GetService<IDestinationGuard>(),
            sp.GetService<ISqsDestinationRules>()));
        services.TryAddSingleton<INornSecretProtector, NornSecretProtector>();
        services.TryAddSingleton<NornService>();
        services.TryAddSingleton(static sp => new DeviceIdExtractor(sp.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>()));
        services.TryAddSingleton<EventRouter>();

        services.TryAddSingleton<NornRegistrySynchronizer>();
        services.TryAddSingleton<NornExpirySweeper>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, NornRegistrySynchronizer>(
            static sp => sp.GetRequiredService<NornRegistrySynchronizer>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, NornExpirySweeper>(
            static sp => sp.GetRequiredService<NornExpirySweeper>()));
    }
}
