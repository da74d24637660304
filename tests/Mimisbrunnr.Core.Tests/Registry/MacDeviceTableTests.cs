using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Registry;

public class MacDeviceTableTests
{
    [Fact]
    public void Devices_stay_found_while_the_table_grows_removes_and_rebuilds()
    {
        var table = new MacDeviceTable();
        var norns = new Dictionary<ulong, object>();
        var random = new Random(7);
        for (var step = 0; step < 20_000; step++)
        {
            var key = (1UL << 63) | (uint)random.Next(3_000);
            if (random.Next(3) == 0)
            {
                table.Set(key, null);
                norns.Remove(key);
            }
            else
            {
                var value = new object();
                table.Set(key, value);
                norns[key] = value;
            }
        }

        Assert.Equal(norns.Count, table.Count);
        for (ulong device = 0; device < 3_000; device++)
        {
            var key = (1UL << 63) | device;
            Assert.Same(norns.GetValueOrDefault(key), table.GetStored(key));
        }
    }

    [Fact]
    public void A_device_keeps_one_norn_without_an_array_and_several_in_order()
    {
        var registry = new NornRegistry();
        var a = TestNorns.Http("mac:112233445566", "https://a.example/1");
        var b = TestNorns.Http("mac:112233445566", "https://a.example/2");
        var c = TestNorns.Http("mac:112233445566", "https://a.example/3");
        var device = DeviceId.Parse("mac:112233445566");

        registry.Apply(a);
        Assert.IsType<RegisteredNorn>(registry.GetByDevice(device).Stored);
        registry.Apply(b);
        registry.Apply(c);
        Assert.Equal([a.Id, b.Id, c.Id], registry.GetByDevice(device).Select(n => n.Id));

        registry.Remove(b.Id);
        Assert.Equal([a.Id, c.Id], registry.GetByDevice(device).Select(n => n.Id));
        registry.Remove(a.Id);
        Assert.Equal(c.Id, Assert.IsType<RegisteredNorn>(registry.GetByDevice(device).Stored).Id);
        registry.Remove(c.Id);
        Assert.Empty(registry.GetByDevice(device));
        Assert.Null(registry.GetByDevice(device).Stored);
    }

    [Fact]
    public void A_reset_index_finds_single_and_shared_devices()
    {
        var registry = new NornRegistry();
        Norn[] norns =
        [
            TestNorns.Http("mac:000000000001", "https://a.example/1"),
            TestNorns.Http("mac:000000000002", "https://a.example/1"),
            TestNorns.Http("mac:000000000002", "https://a.example/2"),
            TestNorns.Http("serial:abc", "https://a.example/1"),
        ];

        registry.Reset(norns);

        Assert.Single(registry.GetByDevice(DeviceId.Parse("mac:000000000001")));
        Assert.Equal(2, registry.GetByDevice(DeviceId.Parse("mac:000000000002")).Count);
        Assert.Single(registry.GetByDevice(DeviceId.Parse("serial:ABC")));
        Assert.Empty(registry.GetByDevice(DeviceId.Parse("mac:000000000003")));
    }
}
