using Microsoft.Extensions.Configuration;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Hosting;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>
/// Host instances on an Argus bucket, configured as the sample server configures itself: <see cref="MimisbrunnrTestHost"/>s
/// whose options come from configuration (<c>BindConfiguration</c> and <c>UseArgusStore(Mimisbrunnr:Argus)</c>).
/// </summary>
internal static class ArgusHosts
{
    public static Task<MimisbrunnrTestHost> StartAsync(string name, Uri argus, string bucket, TimeSpan pullInterval)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Mimisbrunnr:Destinations:AllowPrivateNetworks"] = "true",
                ["Mimisbrunnr:Delivery:RetryBaseDelay"] = "00:00:00.010",
                ["Mimisbrunnr:Events:Secret"] = MimisbrunnrTestHost.EventsSecret,
                ["Mimisbrunnr:Argus:Address"] = argus.ToString(),
                ["Mimisbrunnr:Argus:Bucket"] = bucket,
                ["Mimisbrunnr:Argus:Owner"] = Stores.Owner,
                ["Mimisbrunnr:Argus:PullInterval"] = pullInterval.ToString("c"),
            })
            .Build();
        return MimisbrunnrTestHost.StartAsync(o =>
        {
            o.Name = name;
            o.Mimisbrunnr += b => b.BindConfiguration(configuration).UseArgusStore(configuration.GetSection(ArgusStoreOptions.SectionName));
        });
    }

    /// <summary>The host's store, which is an Argus store.</summary>
    public static ArgusNornStore ArgusStore(this MimisbrunnrTestHost host) => (ArgusNornStore)host.Store;
}
