using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Tests.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Registry;

/// <summary>
/// The MAC table's routing summary: a lone norn without filter or partner ids is routed without reading it, and the
/// summary never describes norns it was not written for.
/// </summary>
public sealed class RoutingSummaryTests : RouterTest
{
    private const string Device = "mac:112233445566";
    private const ulong Tag = 1UL << 63;
    private static readonly DeviceId DeviceKeyed = DeviceId.Parse(Device);

    private static WrpMessage Online(string device = Device) => new()
    {
        Type = MessageType.SimpleEvent,
        Source = "dns:talaria.example",
        Destination = $"event:device-status/{device}/online",
    };

    [Fact]
    public void A_lone_plain_norn_is_summarised_with_the_start_of_its_expiry_second()
    {
        var norn = TestNorns.Http(Device, "https://a.example/1", ttl: TimeSpan.FromMinutes(1) + TimeSpan.FromMilliseconds(700));
        Registry.Apply(norn);

        var found = Registry.GetByDevice(DeviceKeyed);

        Assert.Equal(norn.Id, Assert.Single(found).Id);
        Assert.Equal((TestNorns.T0 + TimeSpan.FromMinutes(1)).UtcTicks, found.PlainUntilTicks);
    }

    [Fact]
    public void Filters_partner_ids_several_norns_and_non_mac_devices_get_no_summary()
    {
        var filtered = TestNorns.Http(Device, "https://a.example/1", filter: new NornFilter { Events = ["online"] });
        Registry.Apply(filtered);
        Assert.Equal(0, Registry.GetByDevice(DeviceKeyed).PlainUntilTicks);

        Registry.Apply(TestNorns.Http(Device, "https://a.example/1") with { PartnerIds = ["comcast"], UpdatedAt = TestNorns.T0.AddSeconds(1) });
        Assert.Equal(0, Registry.GetByDevice(DeviceKeyed).PlainUntilTicks);

        Registry.Apply(TestNorns.Http(Device, "https://a.example/1") with { UpdatedAt = TestNorns.T0.AddSeconds(2) });
        Assert.NotEqual(0, Registry.GetByDevice(DeviceKeyed).PlainUntilTicks);

        Registry.Apply(TestNorns.Http(Device, "https://a.example/2"));
        Assert.Equal(2, Registry.GetByDevice(DeviceKeyed).Count);
        Assert.Equal(0, Registry.GetByDevice(DeviceKeyed).PlainUntilTicks);

        Registry.Remove(NornIdentity.Derive(Device, "https://a.example/1"));
        Assert.Single(Registry.GetByDevice(DeviceKeyed));
        Assert.NotEqual(0, Registry.GetByDevice(DeviceKeyed).PlainUntilTicks);

        Registry.Apply(TestNorns.Http("serial:abc", "https://a.example/1"));
        var serial = Registry.GetByDevice(DeviceId.Parse("serial:abc"));
        Assert.Single(serial);
        Assert.Equal(0, serial.PlainUntilTicks);
    }

    [Fact]
    public void A_norn_past_the_start_of_its_expiry_second_is_checked_exactly()
    {
        // Expires at T0 + 500 ms: the summary only rules expiry out before T0.
        Registry.Apply(TestNorns.Http(Device, "https://a.example/1", ttl: TimeSpan.FromMilliseconds(500)));

        Time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Equal(1, Router.Route(Online()).Enqueued);

        Time.Advance(TimeSpan.FromMilliseconds(200));
        var result = Router.Route(Online());
        Assert.Equal((0, 0, 1), (result.Matched, result.Enqueued, result.Dropped));
        Assert.Equal(1, Metrics.Drops("expired"));
        Assert.Single(Sink.Offered);
    }

    [Fact]
    public void A_plain_norn_replaced_by_a_filtered_one_is_filtered_again()
    {
        Registry.Apply(TestNorns.Http(Device, "https://a.example/1"));
        Assert.Equal(1, Router.Route(Online()).Enqueued);

        Registry.Apply(TestNorns.Http(Device, "https://a.example/1", filter: new NornFilter { Events = ["offline$"] }) with { UpdatedAt = TestNorns.T0.AddSeconds(1) });
        var result = Router.Route(Online());

        Assert.Equal((0, 0), (result.Matched, result.Enqueued));
        Assert.Equal(1, Metrics.Filtered("filter"));
    }

    [Fact]
    public void A_removed_device_keeps_its_slot_as_a_tombstone_and_reuses_it()
    {
        var table = new MacDeviceTable();
        var norn = new RegisteredNorn(TestNorns.Http(Device, "https://a.example/1"));
        const ulong Key = (1UL << 63) | 0x112233445566;

        table.Set(Key, norn);
        Assert.NotEqual(0, table.Get(Key).PlainUntilTicks);
        table.Set(Key, null);
        Assert.Empty(table.Get(Key));
        Assert.Equal(0, table.Get(Key).PlainUntilTicks);
        Assert.Equal(0, table.Count);

        table.Set(Key, norn);
        Assert.Same(norn, Assert.Single(table.Get(Key)));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Colliding_keys_in_a_small_table_are_all_found_and_absent_ones_are_not()
    {
        // 16 slots and 11 devices (just under 70% full): keys share first slots and probe past each other and past tombstones.
        var table = new MacDeviceTable();
        Assert.Equal(16, table.Capacity());
        var norns = new Dictionary<ulong, RegisteredNorn>();
        for (var n = 0; n < 11; n++)
        {
            var key = Tag | (uint)(n * 0x1000);
            norns[key] = new RegisteredNorn(TestNorns.Http(TestNorns.Mac(n * 0x1000), "https://a.example/" + n));
            table.Set(key, norns[key]);
        }

        Assert.Equal(16, table.Capacity());
        foreach (var remove in norns.Keys.Where((_, i) => i % 3 == 0).ToList())
        {
            table.Set(remove, null);
            norns.Remove(remove);
        }

        foreach (var (key, norn) in norns)
        {
            Assert.Same(norn, Assert.Single(table.Get(key)));
            Assert.Same(norn, table.GetStored(key));
        }

        for (var n = 0; n < 100; n++)
        {
            var key = Tag | (uint)((n * 0x1000) + 1);
            Assert.Empty(table.Get(key));
        }
    }

    [Fact]
    public void The_table_grows_past_70_percent_to_three_slots_per_device_and_a_load_sizes_it_at_1_6()
    {
        var table = new MacDeviceTable();
        for (var n = 0; n < 12; n++)
        {
            table.Set(Tag | (uint)n, new object());
        }

        Assert.Equal(37, table.Capacity());
        Assert.Equal(12, table.Count);
        Assert.Equal(1_601, new MacDeviceTable(1_000).Capacity());
        for (var n = 0; n < 12; n++)
        {
            Assert.NotNull(table.GetStored(Tag | (uint)n));
        }
    }

    [Fact]
    public void A_reader_trusts_a_summary_only_when_it_read_the_same_write_on_both_sides_of_the_norns()
    {
        var table = new MacDeviceTable();
        var plain = new RegisteredNorn(TestNorns.Http(Device, "https://a.example/1"));
        var filtered = new RegisteredNorn(TestNorns.Http(Device, "https://a.example/2", filter: new NornFilter { Events = ["x"] }));
        RegisteredNorn[] both = [plain, filtered];
        var first = table.SummaryOf(plain);
        var second = table.SummaryOf(plain);
        Assert.NotEqual(first, second); // same norn, another write: another stamp
        Assert.Equal(0, table.SummaryOf(filtered));

        var whole = MacDeviceTable.Read(first, plain, first);
        Assert.Same(plain, Assert.Single(whole));
        Assert.Equal(TestNorns.T0.AddHours(1).UtcTicks, whole.PlainUntilTicks);

        // Torn reads (a writer in between) fall back to the norns as stored, type-checked, without a summary.
        var torn = MacDeviceTable.Read(first, both, second);
        Assert.Equal(both, torn.ToArray());
        Assert.Equal(0, torn.PlainUntilTicks);
        Assert.Equal(0, MacDeviceTable.Read(0, filtered, first).PlainUntilTicks);
        Assert.Equal(0, MacDeviceTable.Read(first, filtered, 0).PlainUntilTicks);
        Assert.Empty(MacDeviceTable.Read(first, null, 0));
    }

    [Fact]
    public async Task Readers_never_see_a_summary_with_norns_it_was_not_written_for()
    {
        // A writer switches the device between a plain norn, a version that rejects every event, and two norns, while
        // a reader routes: every event the sink gets must be for a plain version (a stale but whole state).
        var plain = TestNorns.Http(Device, "https://a.example/1");
        var rejecting = plain with { Filter = new NornFilter { Events = ["^never$"] } };
        var second = TestNorns.Http(Device, "https://a.example/2", filter: new NornFilter { Events = ["^never$"] });
        Registry.Apply(plain);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var writer = Task.Run(Write, TestContext.Current.CancellationToken);

        var routes = 0;
        while (!stop.IsCancellationRequested)
        {
            Router.Route(Online());
            routes++;
        }

        await writer;
        Assert.True(routes > 0);
        Assert.All(Sink.Offered, o => Assert.Null(o.Norn.Norn.Filter));

        void Write()
        {
            var version = 0;
            while (!stop.IsCancellationRequested)
            {
                version++;
                var at = TestNorns.T0.AddTicks(version);
                Registry.Apply((version % 2 == 0 ? plain : rejecting) with { UpdatedAt = at }, latest: true);
                if (version % 3 == 0)
                {
                    Registry.Apply(second with { UpdatedAt = at }, latest: true);
                }
                else
                {
                    Registry.Remove(second.Id);
                }
            }
        }
    }
}
