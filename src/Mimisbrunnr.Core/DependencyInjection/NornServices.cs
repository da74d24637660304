using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>Registers the norn side: registry, norn service, routing, expiry sweeping, default store.</summary>
internal static class NornServices
{
    public static void Add(IServiceCollection services)
    {
        // The default store; UseSqliteStore(...) and the other providers replace it.
        services.TryAddSingleton<INornStore, InMemoryNornStore>();

        services.TryAddSingleton<NornRegistry>();
        services.TryAddSingleton<INornRegistry>(static sp => sp.GetRequiredService<NornRegistry>());
        services.TryAddSingleton<INornSecretProtector, NornSecretProtector>();
        services.TryAddSingleton(static sp => new NornValidator(
            sp.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>(),
            sp.GetService<IDestinationGuard>(),
            sp.GetService<ISqsDestinationRules>()));
        services.TryAddSingleton(static sp => new NornService(
            sp.GetRequiredService<INornStore>(),
            sp.GetRequiredService<NornRegistry>(),
            sp.GetRequiredService<NornValidator>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>(),
            sp.GetRequiredService<INornSecretProtector>()));

        // The norn service owns every removal, including those the delivery side asks for (HTTP 410).
        services.TryAddSingleton<INornRemoval>(static sp => sp.GetRequiredService<NornService>());
        services.TryAddSingleton(static sp => new DeviceIdExtractor(sp.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>()));
        services.TryAddSingleton(static sp => new EventRouter(
            sp.GetRequiredService<INornRegistry>(),
            sp.GetRequiredService<INornEventSink>(),
            sp.GetRequiredService<DeviceIdExtractor>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<MimisbrunnrMetrics>()));

        services.TryAddSingleton(static _ => new NornIndexState());
        services.TryAddSingleton(static sp => new NornRegistrySynchronizer(
            sp.GetRequiredService<INornStore>(),
            sp.GetRequiredService<NornRegistry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<NornRegistrySynchronizer>>(),
            sp.GetRequiredService<NornIndexState>()));
        services.TryAddSingleton<NornExpirySweeper>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, NornRegistrySynchronizer>(
            static sp => sp.GetRequiredService<NornRegistrySynchronizer>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, NornExpirySweeper>(
            static sp => sp.GetRequiredService<NornExpirySweeper>()));
    }
}
