using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>A host whose store is down at start takes no events it would lose, and says so in its health.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Until_the_index_is_loaded_events_get_503_with_retry_after_and_health_is_unhealthy()
    {
        var store = new GatedStore();
        await using var host = await StartAsync(store);
        var body = WrpMsgPack.Encode(TestEvents.DeviceStatus("mac:112233445566"));

        using (var early = await host.PostEventAsync(body))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), early.Headers.RetryAfter?.Delta);
        }

        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains("cannot be loaded", health.Entries["mimisbrunnr-store"].Description, StringComparison.Ordinal);

        store.Open();
        await host.Services.GetRequiredService<Registry.NornIndexState>().Loaded.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        using (var later = await host.PostEventAsync(body))
        {
            Assert.Equal(HttpStatusCode.Accepted, later.StatusCode);
        }

        health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HealthStatus.Healthy, health.Status);
    }

    [Fact]
    public async Task Health_is_degraded_while_the_stores_change_feed_does_not_follow()
    {
        var store = new GatedStore { Following = false };
        store.Open();
        await using var host = await StartAsync(store);
        var checks = host.Services.GetRequiredService<HealthCheckService>();

        var degraded = await checks.CheckHealthAsync(TestContext.Current.CancellationToken);
        store.Following = true;
        var healthy = await checks.CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("feed down for the test", degraded.Entries["mimisbrunnr-store"].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
    }

    private static Task<MimisbrunnrTestHost> StartAsync(GatedStore store) =>
        MimisbrunnrTestHost.StartAsync(o =>
        {
            o.Mimisbrunnr += b => b.Services.Replace(ServiceDescriptor.Singleton<INornStore>(store));
            o.Services += s => s.AddHealthChecks().AddMimisbrunnr();
        });

    /// <summary>An in-memory store that cannot be loaded until opened, and whose feed status the test sets.</summary>
    private sealed class GatedStore : INornStore, INornChangeFeedStatus
    {
        private readonly InMemoryNornStore _inner = new();
        private volatile bool _open;

        public bool Following { get; set; } = true;

        public bool IsFollowing => Following;

        public string? Problem => Following ? null : "feed down for the test";

        public void Open() => _open = true;

        public ValueTask<NornWriteResult> UpsertAsync(Norn norn, NornQuotas quotas, CancellationToken cancellationToken = default) =>
            _inner.UpsertAsync(norn, quotas, cancellationToken);

        public ValueTask<Norn?> GetAsync(string id, CancellationToken cancellationToken = default) => _inner.GetAsync(id, cancellationToken);

        public ValueTask<bool> DeleteAsync(string id, string? owner, CancellationToken cancellationToken = default) =>
            _inner.DeleteAsync(id, owner, cancellationToken);

        public ValueTask<NornPage> ListAsync(NornQuery query, CancellationToken cancellationToken = default) =>
            _inner.ListAsync(query, cancellationToken);

        public async IAsyncEnumerable<Norn> LoadActiveAsync(DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            if (!_open)
            {
                throw new NornStoreUnavailableException("The test store is closed.");
            }

            await foreach (var norn in _inner.LoadActiveAsync(now, cancellationToken))
            {
                yield return norn;
            }
        }

        public ValueTask<IReadOnlyList<string>> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
            _inner.DeleteExpiredAsync(now, cancellationToken);

        public IAsyncEnumerable<NornChange> WatchAsync(CancellationToken cancellationToken = default) => _inner.WatchAsync(cancellationToken);

        public ValueTask PingAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
