using System.Net;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>Two host instances (A and B, each its own Kestrel server and container) on one Argus bucket.</summary>
public sealed class TwoHostsFixture : IAsyncLifetime
{
    public static readonly TimeSpan PullInterval = TimeSpan.FromMilliseconds(250);

    internal ArgusDouble Argus { get; private set; } = null!;

    internal MimisbrunnrTestHost A { get; private set; } = null!;

    internal MimisbrunnrTestHost B { get; private set; } = null!;

    internal SinkServer Sink { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Argus = await ArgusDouble.StartAsync();
        Sink = await SinkServer.StartAsync();
        var bucket = Stores.NewBucket();
        A = await ArgusHosts.StartAsync("A", Argus.Address, bucket, PullInterval);
        B = await ArgusHosts.StartAsync("B", Argus.Address, bucket, PullInterval);

        // Both follow the bucket (each host's synchronizer subscribed at start).
        await Task.WhenAll(A.ArgusStore().WhenPollingAsync(), B.ArgusStore().WhenPollingAsync()).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Sink.DisposeAsync();
        await Argus.DisposeAsync();
    }
}

public sealed class MultiHostTests(TwoHostsFixture hosts) : IClassFixture<TwoHostsFixture>
{
    private static readonly TimeSpan Propagation = TwoHostsFixture.PullInterval + TimeSpan.FromSeconds(1);

    private MimisbrunnrTestHost A => hosts.A;

    private MimisbrunnrTestHost B => hosts.B;

    private SinkServer Sink => hosts.Sink;

    [Fact]
    public async Task A_norn_registered_through_A_is_delivered_by_B_within_a_pull_interval_and_a_second()
    {
        const string Device = "mac:a20000000001";
        var (status, id) = await A.CreateNornAsync("alice", TestNorns.HttpRequest(Device, Sink.Url("/created-on-a")));
        Assert.Equal(HttpStatusCode.Created, status);

        await Eventually.TrueAsync(() => B.Registry.Find(id!) is not null, "B knows the norn registered through A", Propagation);
        Assert.Equal(HttpStatusCode.Accepted, await B.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "txn-b")));
        var delivered = await Sink.WaitForRequestsAsync(1, "/created-on-a");

        Assert.Equal("txn-b", Assert.Single(delivered).Header("X-Webpa-Transaction-Id"));
    }

    [Fact]
    public async Task A_delete_through_B_stops_delivery_through_A()
    {
        const string Device = "mac:a20000000002";
        var (status, id) = await A.CreateNornAsync("alice", TestNorns.HttpRequest(Device, Sink.Url("/deleted-on-b")));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(HttpStatusCode.Accepted, await A.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "txn-1")));
        await Sink.WaitForRequestsAsync(1, "/deleted-on-b");
        await Eventually.TrueAsync(() => B.Registry.Find(id!) is not null, "B knows the norn", Propagation);

        Assert.Equal(HttpStatusCode.NoContent, await B.DeleteNornAsync("alice", id!));
        var (markerStatus, marker) = await B.CreateNornAsync("alice", TestNorns.HttpRequest(Device, Sink.Url("/marker")));
        Assert.Equal(HttpStatusCode.Created, markerStatus);
        await Eventually.TrueAsync(() => A.Registry.Find(id!) is null && A.Registry.Find(marker!) is not null, "A forgot the deleted norn and knows the marker", Propagation);
        Assert.Equal(HttpStatusCode.Accepted, await A.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "txn-2")));

        // The marker, registered for the same device after the delete, receives txn-2: the deleted norn must not have.
        Assert.Equal("txn-2", Assert.Single(await Sink.WaitForRequestsAsync(1, "/marker")).Header("X-Webpa-Transaction-Id"));
        Assert.Equal("txn-1", Assert.Single(Sink.RequestsTo("/deleted-on-b")).Header("X-Webpa-Transaction-Id"));
    }

    [Fact]
    public async Task The_same_pair_registered_later_for_another_owner_through_B_is_a_conflict()
    {
        const string Device = "mac:a20000000003";
        var url = Sink.Url("/owned-by-alice");
        var (status, id) = await A.CreateNornAsync("alice", TestNorns.HttpRequest(Device, url));
        Assert.Equal(HttpStatusCode.Created, status);
        await Eventually.TrueAsync(() => B.Registry.Find(id!) is not null, "B knows the norn", Propagation);

        var (conflict, _) = await B.CreateNornAsync("mallory", TestNorns.HttpRequest(Device, url));

        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal("alice", (await B.Store.GetAsync(id!, TestContext.Current.CancellationToken))!.Owner);
    }
}
