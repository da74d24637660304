using System.Runtime.InteropServices;
using Mimisbrunnr.Tests.Dispatch;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Routing;

/// <summary>The delivery bodies cached on a routed event (Routing/RoutedEvent.Bodies.cs).</summary>
public sealed class RoutedEventBodiesTests
{
    [Fact]
    public void Concurrent_readers_of_one_event_share_one_encoding()
    {
        var routed = TestData.Event(1);
        var arrays = new byte[16][];

        Parallel.For(0, arrays.Length, i =>
        {
            Assert.True(MemoryMarshal.TryGetArray(routed.GetWrpJson(), out var segment));
            arrays[i] = segment.Array!;
        });

        Assert.All(arrays, a => Assert.Same(arrays[0], a));
        Assert.Equal(WrpJson.Encode(routed.Message), arrays[0]);
    }

    [Fact]
    public void The_msgpack_body_is_cached_too()
    {
        var routed = TestData.Event(2);

        Assert.True(MemoryMarshal.TryGetArray(routed.GetWrpMsgPack(), out var first));
        Assert.True(MemoryMarshal.TryGetArray(routed.GetWrpMsgPack(), out var second));

        Assert.Same(first.Array, second.Array);
        Assert.Equal(WrpMsgPack.Encode(routed.Message), first.ToArray());
    }
}
