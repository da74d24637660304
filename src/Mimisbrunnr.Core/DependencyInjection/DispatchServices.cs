using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>Registers the delivery side: dispatcher pool, HTTP delivery, destination guard.</summary>
internal static class DispatchServices
{
    public static void Add(IServiceCollection services)
    {
        services.AddHttpClient(DeliveryHttpClient.Name, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static sp => DeliveryHttpHandler.Create(
                sp.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>(), sp.GetRequiredService<HostResolver>().ResolveAsync))

            // The handler pools connections with a lifetime of its own; rotating handlers would only drop warm connections.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)

            // One Information line per delivery is too much at event rates; the sender logs what matters.
            .RemoveAllLoggers();

        // One bound on host name lookups for registration checks and connects alike.
        services.TryAddSingleton(static sp => new HostResolver(
            sp.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>(), sp.GetRequiredService<MimisbrunnrMetrics>()));
        services.TryAddSingleton<IDestinationGuard>(static sp => new DestinationGuard(
            sp.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>(), sp.GetRequiredService<HostResolver>().ResolveAsync));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INornDestinationSender, HttpNornSender>());
        services.TryAddSingleton<INornCutOffNotifier, HttpCutOffNotifier>();
        services.TryAddSingleton<NornDispatcherPool>();
        services.TryAddSingleton<INornEventSink>(static sp => sp.GetRequiredService<NornDispatcherPool>());
        services.TryAddSingleton(static sp => new NornDeliveryMonitor(
            sp.GetRequiredService<NornDispatcherPool>(),
            sp.GetRequiredService<INornRegistry>(),
            sp.GetRequiredService<MimisbrunnrMetrics>(),
            sp.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>(),
            sp.GetRequiredService<TimeProvider>()));

        // As a hosted service the pool drains on shutdown; without a host, disposing the container does the same.
        services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IHostedService, NornDispatcherPool>(static sp => sp.GetRequiredService<NornDispatcherPool>()));
    }
}
