using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
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
        var body = WrpMsgPack.Encode(EventFlowTests.Event("mac:112233445566"));

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

    private static async Task<Host> StartAsync(GatedStore store)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddMimisbrunnr().ConfigureEvents(o => o.Secret = TestHost.EventsSecret);
        builder.Services.Replace(ServiceDescriptor.Singleton<INornStore>(store));
        builder.Services.AddHealthChecks().AddMimisbrunnr();
        var app = builder.Build();
        app.MapMimisbrunnr();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Host(app, new HttpClient { BaseAddress = new Uri(address) });
    }

    private sealed class Host(WebApplication app, HttpClient client) : IAsyncDisposable
    {
        public IServiceProvider Services => app.Services;

        public Task<HttpResponseMessage> PostEventAsync(byte[] body)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/msgpack");
            request.Headers.Add("X-Webpa-Signature", TestHost.Sign(TestHost.EventsSecret, body));
            return client.SendAsync(request, TestContext.Current.CancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            client.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

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
