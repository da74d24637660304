using Microsoft.Extensions.Logging.Testing;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Tests.Management;

public class NornExpirySweeperTests
{
    private readonly TimerTrackingTimeProvider _time = new(TestNorns.T0);
    private readonly InMemoryNornStore _store = new();
    private readonly NornRegistry _registry;
    private readonly FakeLogger<NornExpirySweeper> _log = new();
    private readonly NornExpirySweeper _sweeper;

    public NornExpirySweeperTests()
    {
        _registry = new NornRegistry();
        var options = StaticOptionsMonitor.For(new MimisbrunnrOptions { SweepInterval = TimeSpan.FromSeconds(30) });
        var service = new NornService(_store, _registry, new NornValidator(options), _time, options);
        _sweeper = new NornExpirySweeper(service, _time, options, _log);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Norn> AddAsync(string url, TimeSpan ttl)
    {
        var norn = (await _store.UpsertAsync(TestNorns.Http("mac:112233445566", url, ttl: ttl), NornQuotas.Unlimited, Ct)).Norn!;
        _registry.Apply(norn);
        return norn;
    }

    [Fact]
    public async Task A_sweep_removes_expired_norns_from_store_and_index()
    {
        var expiring = await AddAsync("https://a.example/1", TimeSpan.FromSeconds(10));
        var live = await AddAsync("https://a.example/2", TimeSpan.FromHours(1));
        var indexOnly = TestNorns.Http("mac:000000000009", "https://a.example/3", ttl: TimeSpan.FromSeconds(5));
        _registry.Apply(indexOnly);

        Assert.Equal(0, await _sweeper.SweepAsync(Ct));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, await _sweeper.SweepAsync(Ct));

        Assert.Null(await _store.GetAsync(expiring.Id, Ct));
        Assert.Null(_registry.Find(expiring.Id));
        Assert.Null(_registry.Find(indexOnly.Id));
        Assert.NotNull(_registry.Find(live.Id));
        Assert.NotNull(await _store.GetAsync(live.Id, Ct));
    }

    [Fact]
    public async Task Sweeps_run_on_the_time_providers_interval()
    {
        var expiring = await AddAsync("https://a.example/1", TimeSpan.FromSeconds(45));

        // A marker that has expired by the first tick: the sweep that removes it logs what it removed when it is done.
        var marker = TestNorns.Http("mac:000000000009", "https://a.example/marker", ttl: TimeSpan.FromSeconds(20));
        _registry.Apply(marker);
        await _sweeper.StartAsync(Ct);
        await _time.WhenTimersCreatedAsync(1, "the sweeper's periodic timer"); // ExecuteAsync runs in the background

        _time.Advance(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => _log.Collector.Count > 0, "the sweep at 30 s finished");
        Assert.Equal("Expiry sweep: 0 norns deleted from the store, 1 removed from the index.", _log.LatestRecord.Message);
        Assert.Null(_registry.Find(marker.Id));
        Assert.NotNull(_registry.Find(expiring.Id));
        Assert.NotNull(await _store.GetAsync(expiring.Id, Ct));

        _time.Advance(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => _registry.Find(expiring.Id) is null && _store.Count == 0, "the sweep at 60 s removed the expired norn");

        await _sweeper.StopAsync(Ct);
    }
}
