using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Tests.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.DependencyInjection;

public class NornServicesRegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ServiceProvider Build(Action<IMimisbrunnrBuilder>? configure = null, RecordingSink? sink = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(TestNorns.T0));
        services.AddSingleton<INornEventSink>(sink ?? new RecordingSink());
        var builder = services.AddMimisbrunnr(o =>
        {
            o.Routing.Rules.Add(new DeviceIdRule { Regex = "^event:device-status/", EventType = DeviceIdRuleType.State });

            // The registration-time SSRF guard resolves names; this example host is allowed without resolving it.
            o.Destinations.AllowedHosts.Add("consumer.example");
        });
        configure?.Invoke(builder);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public void AddMimisbrunnr_registers_the_norn_side_with_the_in_memory_store_by_default()
    {
        using var provider = Build();

        Assert.IsType<InMemoryNornStore>(provider.GetRequiredService<INornStore>());
        Assert.Same(provider.GetRequiredService<NornRegistry>(), provider.GetRequiredService<INornRegistry>());
        // One of each per container: the removals the delivery side reports go to the norn service itself, and every
        // request shares one router and one set of metrics.
        Assert.Same(provider.GetRequiredService<NornService>(), provider.GetRequiredService<INornRemoval>());
        Assert.Same(provider.GetRequiredService<EventRouter>(), provider.GetRequiredService<EventRouter>());
        Assert.Same(provider.GetRequiredService<MimisbrunnrMetrics>(), provider.GetRequiredService<MimisbrunnrMetrics>());
        var hosted = provider.GetServices<IHostedService>().ToArray();
        Assert.Contains(hosted, h => h is NornRegistrySynchronizer);
        Assert.Contains(hosted, h => h is NornExpirySweeper);
        Assert.Same(provider.GetRequiredService<NornRegistrySynchronizer>(), hosted.OfType<NornRegistrySynchronizer>().Single());
    }

    [Fact]
    public void Calling_AddMimisbrunnr_twice_registers_each_hosted_service_once()
    {
        var services = new ServiceCollection();
        services.AddMimisbrunnr();
        services.AddMimisbrunnr().UseInMemoryStore();

        // The secrets-at-rest check, the registry synchronizer, the expiry sweeper and the dispatcher pool (which drains on shutdown).
        Assert.Single(services, d => d.ServiceType == typeof(INornStore));
        Assert.Equal(4, services.Count(d => d.ServiceType == typeof(IHostedService)));
    }

    [Fact]
    public async Task A_registered_norn_receives_an_event_posted_right_after()
    {
        var sink = new RecordingSink();
        await using var provider = Build(sink: sink);
        var service = provider.GetRequiredService<NornService>();
        var router = provider.GetRequiredService<EventRouter>();

        var created = await service.CreateOrUpdateAsync(
            new("alice"),
            new NornRequest
            {
                DeviceId = "mac:112233445566",
                Ttl = 60,
                Destination = new DestinationRequest { Http = new HttpDestinationRequest { Url = "https://consumer.example/hook" } },
            },
            Ct);
        var result = router.Route(new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = "dns:talaria",
            Destination = "event:device-status/mac:11:22:33:44:55:66/online",
        });

        Assert.Equal(1, result.Enqueued);
        Assert.Equal(created.Norn.Id, Assert.Single(sink.Offered).Norn.Id);
    }
}
