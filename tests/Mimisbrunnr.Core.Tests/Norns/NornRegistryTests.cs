using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Norns;

public class NornRegistryTests
{
    private readonly InMemoryNornStore _store = new();
    private readonly NornRegistry _registry;
    private readonly List<NornRegistryChangedEventArgs> _changes = [];

    public NornRegistryTests()
    {
        _registry = new NornRegistry();
        _registry.Changed += (_, e) =>
        {
            lock (_changes)
            {
                _changes.Add(e);
            }
        };
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Norns_are_found_by_device_ignoring_case_and_by_id()
    {
        var a = TestNorns.Make("uuid:Device-A", "https://a.example/1");
        var b = TestNorns.Make("uuid:Device-A", "https://a.example/2");
        var c = TestNorns.Make("mac:112233445566", "https://a.example/3");

        Assert.True(_registry.Apply(a));
        Assert.True(_registry.Apply(b));
        Assert.True(_registry.Apply(c));

        Assert.Equal(3, _registry.Count);
        Assert.Equal([a.Id, b.Id], _registry.GetByDevice(DeviceId.Parse("UUID:device-a")).Select(n => n.Id));
        Assert.Equal([c.Id], _registry.GetByDevice(DeviceId.Parse("MAC:11:22:33:44:55:66/config")).Select(n => n.Id));
        Assert.Empty(_registry.GetByDevice(DeviceId.Parse("uuid:other")));
        Assert.Empty(_registry.GetByDevice(default));
        Assert.Same(b, _registry.Find(b.Id)!.Norn);
        Assert.Null(_registry.Find("missing"));
    }

    [Fact]
    public void GetByDevice_does_not_allocate()
    {
        for (var i = 0; i < 100; i++)
        {
            _registry.Apply(TestNorns.Make($"mac:{i:x12}", "https://a.example/"));
        }

        var hit = DeviceId.Parse("mac:000000000007");
        var miss = DeviceId.Parse("mac:ffffffffffff");
        _registry.GetByDevice(hit);
        _registry.GetByDevice(miss);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var found = 0;
        for (var i = 0; i < 1000; i++)
        {
            found += _registry.GetByDevice(hit).Count + _registry.GetByDevice(miss).Count;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000, found);
    }

    [Fact]
    public void An_update_replaces_the_norn_without_changing_the_array_a_reader_holds()
    {
        var v1 = TestNorns.Make("mac:112233445566", "https://a.example/1");
        var other = TestNorns.Make("mac:112233445566", "https://a.example/2");
        _registry.Apply(v1);
        _registry.Apply(other);
        var held = _registry.GetByDevice(DeviceId.Parse("mac:112233445566"));

        var v2 = v1 with { ExpiresAt = v1.ExpiresAt.AddHours(1), UpdatedAt = v1.UpdatedAt.AddMinutes(1) };
        _registry.Apply(v2);

        Assert.Same(v1, held[0].Norn);
        var now = _registry.GetByDevice(DeviceId.Parse("mac:112233445566"));
        Assert.Equal(2, now.Count);
        Assert.Equal(v2.ExpiresAt, now[0].ExpiresAt);
        Assert.Equal(2, _registry.Count);
    }

    [Fact]
    public void An_older_version_or_the_same_version_again_changes_nothing()
    {
        var v1 = TestNorns.Make("mac:112233445566", "https://a.example/1");
        var v2 = v1 with { UpdatedAt = v1.UpdatedAt.AddMinutes(1), ExpiresAt = v1.ExpiresAt.AddMinutes(1) };
        _registry.Apply(v2);
        _changes.Clear();

        Assert.False(_registry.Apply(v1));
        Assert.False(_registry.Apply(v2 with { }));
        Assert.Equal(v2.ExpiresAt, _registry.Find(v1.Id)!.ExpiresAt);
        Assert.Empty(_changes);
    }

    [Fact]
    public void Owner_strings_are_shared_between_norns()
    {
        var a = TestNorns.Make("mac:000000000001", "https://a.example/", owner: new string("alice".AsSpan()));
        var b = TestNorns.Make("mac:000000000002", "https://a.example/", owner: new string("alice".AsSpan()));
        Assert.NotSame(a.Owner, b.Owner);

        _registry.Apply(a);
        _registry.Apply(b);

        Assert.Same(_registry.Find(a.Id)!.Norn.Owner, _registry.Find(b.Id)!.Norn.Owner);
        Assert.Equal(a, _registry.Find(a.Id)!.Norn);
    }

    [Fact]
    public void Remove_takes_the_norn_out_of_both_indexes_and_raises_Changed()
    {
        var a = TestNorns.Make("mac:112233445566", "https://a.example/1");
        var b = TestNorns.Make("mac:112233445566", "https://a.example/2");
        _registry.Apply(a);
        _registry.Apply(b);
        _changes.Clear();

        Assert.True(_registry.Remove(a.Id));
        Assert.False(_registry.Remove(a.Id));
        Assert.Equal([b.Id], _registry.GetByDevice(DeviceId.Parse("mac:112233445566")).Select(n => n.Id));
        Assert.True(_registry.Remove(b.Id));

        Assert.Empty(_registry.GetByDevice(DeviceId.Parse("mac:112233445566")));
        Assert.Equal(0, _registry.Count);
        Assert.Equal([(a.Id, true), (b.Id, true)], _changes.Select(c => (c.Id, c.Removed)));
    }

    [Fact]
    public void RemoveExpired_removes_only_expired_norns()
    {
        var shortLived = TestNorns.Make("mac:000000000001", "https://a.example/", ttl: TimeSpan.FromMinutes(1));
        var longLived = TestNorns.Make("mac:000000000001", "https://b.example/", ttl: TimeSpan.FromHours(1));
        _registry.Apply(shortLived);
        _registry.Apply(longLived);

        Assert.Empty(_registry.RemoveExpired(TestNorns.T0.AddSeconds(59)));
        Assert.Equal([shortLived.Id], _registry.RemoveExpired(TestNorns.T0.AddMinutes(1)));
        Assert.Equal([longLived.Id], _registry.GetByDevice(DeviceId.Parse("mac:000000000001")).Select(n => n.Id));
    }

    [Fact]
    public void Reset_swaps_the_whole_index_and_reports_only_what_changed()
    {
        var kept = TestNorns.Make("mac:000000000001", "https://a.example/");
        var changed = TestNorns.Make("mac:000000000002", "https://a.example/");
        var dropped = TestNorns.Make("mac:000000000003", "https://a.example/");
        var added = TestNorns.Make("mac:000000000004", "https://a.example/");
        _registry.Apply(kept);
        _registry.Apply(changed);
        _registry.Apply(dropped);
        var keptInstance = _registry.Find(kept.Id);
        _changes.Clear();

        _registry.Reset([kept with { }, changed with { UpdatedAt = changed.UpdatedAt.AddSeconds(1) }, added]);

        Assert.Equal(3, _registry.Count);
        Assert.Same(keptInstance, _registry.Find(kept.Id));
        Assert.Null(_registry.Find(dropped.Id));
        Assert.Empty(_registry.GetByDevice(DeviceId.Parse("mac:000000000003")));
        Assert.Single(_registry.GetByDevice(DeviceId.Parse("mac:000000000004")));
        Assert.Equal(
            new[] { (added.Id, false), (changed.Id, false), (dropped.Id, true) }.OrderBy(c => c.Item1, StringComparer.Ordinal),
            _changes.Select(c => (c.Id, c.Removed)).OrderBy(c => c.Id, StringComparer.Ordinal));
    }

    [Fact]
    public void A_norn_with_a_filter_that_no_longer_compiles_receives_nothing()
    {
        var norn = TestNorns.Make("mac:000000000001", "https://a.example/", filter: new NornFilter { Events = ["(unclosed"] });

        _registry.Apply(norn);

        var registered = _registry.Find(norn.Id)!;
        Assert.True(registered.HasInvalidFilter);
        Assert.False(registered.Matches("anything", null));
    }

    [Fact]
    public void A_norn_with_an_invalid_device_id_is_not_indexed()
    {
        Assert.False(_registry.Apply(TestNorns.Make("nonsense", "https://a.example/")));
        Assert.Equal(0, _registry.Count);
    }

    [Fact]
    public async Task Concurrent_readers_always_see_whole_arrays_while_writers_change_them()
    {
        const int Devices = 8;
        var devices = Enumerable.Range(0, Devices).Select(i => DeviceId.Parse($"mac:{i:x12}")).ToArray();
        using var stop = new CancellationTokenSource();
        var violations = 0;
        var reads = 0L;
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var device in devices)
                {
                    var norns = _registry.GetByDevice(device);
                    for (var i = 0; i < norns.Count; i++)
                    {
                        if (norns[i] is null || norns[i].DeviceId != device)
                        {
                            Interlocked.Increment(ref violations);
                        }
                    }

                    Interlocked.Increment(ref reads);
                }
            }
        })).ToArray();

        // Writers start once a reader runs (on a loaded machine they could otherwise finish before any reader starts).
        SpinWait.SpinUntil(() => Interlocked.Read(ref reads) > 0, TimeSpan.FromSeconds(30));
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var round = 0; round < 300; round++)
            {
                var device = devices[(w + round) % Devices];
                var norn = TestNorns.Make(device.ToString(), $"https://w{w}.example/{round % 5}", now: TestNorns.T0.AddSeconds(round));
                _registry.Apply(norn);
                if (round % 3 == 0)
                {
                    _registry.Remove(norn.Id);
                }
            }
        })).ToArray();

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        Assert.Equal(0, violations);
        Assert.True(reads > 0);
        var indexed = devices.Sum(d => _registry.GetByDevice(d).Count);
        Assert.Equal(_registry.Count, indexed);
        Assert.All(devices.SelectMany(d => _registry.GetByDevice(d)), n => Assert.Same(n, _registry.Find(n.Id)));
    }

    [Fact]
    public void Filters_are_stored_compactly_without_changing_what_they_say()
    {
        var filter = new NornFilter
        {
            Events = [new string("^device-status/.*/online$".AsSpan())],
            Metadata = new Dictionary<string, string> { ["/trust"] = "1000", ["/fw"] = "2" },
        };
        var a = TestNorns.Make("mac:000000000001", "https://a.example/", filter: filter);
        var b = TestNorns.Make("mac:000000000002", "https://a.example/", filter: filter with { Events = [new string(filter.Events[0].AsSpan())] });
        _registry.Apply(a);
        _registry.Apply(b);
        _changes.Clear();

        var stored = _registry.Find(a.Id)!.Norn.Filter!;
        Assert.Equal(filter.Events, stored.Events);
        Assert.Equal("1000", stored.Metadata!["/trust"]);
        Assert.Equal(2, stored.Metadata.Count);
        Assert.False(stored.Metadata.ContainsKey("/missing"));
        Assert.Equal(filter.Metadata.OrderBy(p => p.Key), stored.Metadata.OrderBy(p => p.Key));
        Assert.Same(stored.Events![0], _registry.Find(b.Id)!.Norn.Filter!.Events![0]);
        Assert.Same(Mimisbrunnr.Registry.EventFilter.GetRegex(filter.Events[0]), Mimisbrunnr.Registry.EventFilter.GetRegex(new string(filter.Events[0].AsSpan())));

        // The change-feed echo of the same version (uncompacted) is recognised as the same version.
        Assert.False(_registry.Apply(a with { }));
        Assert.Empty(_changes);
    }
}
