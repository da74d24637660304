using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Registry;

public class NornRegistrySynchronizerTests
{
    private readonly FakeTimeProvider _time = new(TestNorns.T0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_loads_the_live_norns_then_follows_writes_and_deletes()
    {
        using var store = new InMemoryNornStore();
        var live = (await store.UpsertAsync(TestNorns.Http("mac:000000000001", "https://a.example/"), NornQuotas.Unlimited, Ct)).Norn!;
        await store.UpsertAsync(
            TestNorns.Http("mac:000000000002", "https://a.example/", now: TestNorns.T0.AddHours(-2)), NornQuotas.Unlimited, Ct);
        var registry = new NornRegistry();
        var synchronizer = new NornRegistrySynchronizer(store, registry, _time);

        await synchronizer.StartAsync(Ct);
        Assert.True(synchronizer.Loaded.IsCompletedSuccessfully);
        Assert.Equal(1, registry.Count);
        Assert.NotNull(registry.Find(live.Id));

        var added = (await store.UpsertAsync(TestNorns.Http("mac:000000000003", "https://a.example/"), NornQuotas.Unlimited, Ct)).Norn!;
        await Eventually.TrueAsync(() => registry.Find(added.Id) is not null, "the written norn is indexed");
        await store.DeleteAsync(live.Id, null, Ct);
        await Eventually.TrueAsync(() => registry.Find(live.Id) is null, "the deleted norn left the index");

        await synchronizer.StopAsync(Ct);
        Assert.Equal(1, registry.Count);
    }

    [Fact]
    public async Task Resync_reloads_everything_and_upserts_without_a_norn_are_read_from_the_store()
    {
        var store = new ScriptedFeedStore();
        var first = (await store.UpsertAsync(TestNorns.Http("mac:000000000001", "https://a.example/"), NornQuotas.Unlimited, Ct)).Norn!;
        var registry = new NornRegistry();
        var synchronizer = new NornRegistrySynchronizer(store, registry, _time);
        await synchronizer.StartAsync(Ct);
        Assert.Equal(1, registry.Count);

        // Written behind the feed's back, as another host would; only a resync finds them.
        var second = (await store.UpsertAsync(TestNorns.Http("mac:000000000002", "https://a.example/"), NornQuotas.Unlimited, Ct)).Norn!;
        await store.DeleteAsync(first.Id, null, Ct);
        store.Emit(new NornChange(NornChangeKind.Resync, null, null));
        await Eventually.TrueAsync(() => registry.Find(second.Id) is not null && registry.Find(first.Id) is null, "the resync reloaded the index");

        var third = (await store.UpsertAsync(TestNorns.Http("mac:000000000003", "https://a.example/"), NornQuotas.Unlimited, Ct)).Norn!;
        store.Emit(new NornChange(NornChangeKind.Upserted, third.Id, null));
        await Eventually.TrueAsync(() => registry.GetByDevice(DeviceId.Parse("mac:000000000003")).Count == 1, "the upsert was read from the store");

        // An upsert whose norn is gone again by the time it is read removes it.
        await store.DeleteAsync(second.Id, null, Ct);
        store.Emit(new NornChange(NornChangeKind.Upserted, second.Id, null));
        store.Emit(new NornChange(NornChangeKind.Deleted, third.Id, null));
        await Eventually.TrueAsync(() => registry.Count == 0, "both norns left the index");

        await synchronizer.StopAsync(Ct);
        Assert.Equal(1, store.Subscriptions);
    }

    [Fact]
    public async Task A_norn_read_from_the_store_replaces_the_index_even_when_its_writer_clock_was_behind()
    {
        var store = new ScriptedFeedStore();
        var registry = new NornRegistry();
        var synchronizer = new NornRegistrySynchronizer(store, registry, _time);
        await synchronizer.StartAsync(Ct);

        // Host 1 (clock 10 s ahead) writes; then host 2 (clock right) updates the same norn: an earlier UpdatedAt.
        var ahead = TestNorns.Http("mac:000000000001", "https://a.example/", now: TestNorns.T0.AddSeconds(10));
        await store.UpsertAsync(ahead, NornQuotas.Unlimited, Ct);
        store.Emit(new NornChange(NornChangeKind.Upserted, ahead.Id, null));
        await Eventually.TrueAsync(() => registry.Find(ahead.Id) is not null, "the first version is indexed");
        var behind = TestNorns.Http("mac:000000000001", "https://a.example/", now: TestNorns.T0, ttl: TimeSpan.FromHours(5));
        await store.UpsertAsync(behind, NornQuotas.Unlimited, Ct);
        store.Emit(new NornChange(NornChangeKind.Upserted, behind.Id, null));

        await Eventually.TrueAsync(() => registry.Find(ahead.Id)!.ExpiresAt == behind.ExpiresAt, "the version read from the store replaced it");

        // A change that carries its norn (an in-process store, one clock) still never goes back in time.
        Assert.False(registry.Apply(ahead with { UpdatedAt = TestNorns.T0.AddSeconds(-1), ExpiresAt = TestNorns.T0.AddMinutes(1) }));
        await synchronizer.StopAsync(Ct);
    }

    [Fact]
    public async Task A_store_that_fails_at_start_does_not_block_the_host_and_is_retried()
    {
        var store = new FlakyStore(failures: 2);
        var registry = new NornRegistry();
        var synchronizer = new NornRegistrySynchronizer(store, registry, _time);
        await store.Inner.UpsertAsync(TestNorns.Http("mac:000000000001", "https://a.example/"), NornQuotas.Unlimited, Ct);

        await synchronizer.StartAsync(Ct);
        Assert.False(synchronizer.Loaded.IsCompleted);

        // The retries wait on the fake clock: move it on until the load succeeds (the store's answers decide when).
        await Eventually.TrueAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                return synchronizer.Loaded.IsCompleted;
            },
            () => $"the index loaded; {store.Loads} load attempts so far");
        await synchronizer.Loaded;
        Assert.Equal(1, registry.Count);
        Assert.Equal(3, store.Loads);
        await synchronizer.StopAsync(Ct);
    }

    private sealed class FlakyStore(int failures) : INornStore
    {
        private int _failures = failures;

        public InMemoryNornStore Inner { get; } = new();

        public int Loads { get; private set; }

        public ValueTask<NornWriteResult> UpsertAsync(Norn norn, NornQuotas quotas, CancellationToken cancellationToken = default) =>
            Inner.UpsertAsync(norn, quotas, cancellationToken);

        public ValueTask<Norn?> GetAsync(string id, CancellationToken cancellationToken = default) => Inner.GetAsync(id, cancellationToken);

        public ValueTask<bool> DeleteAsync(string id, string? owner, CancellationToken cancellationToken = default) =>
            Inner.DeleteAsync(id, owner, cancellationToken);

        public ValueTask<NornPage> ListAsync(NornQuery query, CancellationToken cancellationToken = default) =>
            Inner.ListAsync(query, cancellationToken);

        public IAsyncEnumerable<Norn> LoadActiveAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
        {
            Loads++;
            if (_failures-- > 0)
            {
                throw new InvalidOperationException("store unavailable");
            }

            return Inner.LoadActiveAsync(now, cancellationToken);
        }

        public ValueTask<IReadOnlyList<string>> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
            Inner.DeleteExpiredAsync(now, cancellationToken);

        public IAsyncEnumerable<NornChange> WatchAsync(CancellationToken cancellationToken = default) => Inner.WatchAsync(cancellationToken);

        public ValueTask PingAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
