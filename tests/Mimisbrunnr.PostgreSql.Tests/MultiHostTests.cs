using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.PostgreSql.Tests;

/// <summary>Two host instances (A and B, each its own Kestrel server and container) on one database.</summary>
public sealed class TwoHostsFixture : IAsyncLifetime
{
    private TestDatabase? _database;

    internal MimisbrunnrTestHost A { get; private set; } = null!;

    internal MimisbrunnrTestHost B { get; private set; } = null!;

    internal SinkServer Sink { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        if (PostgreSqlServer.ConnectionString is null)
        {
            return; // Each test reports the missing server.
        }

        _database = await TestDatabase.CreateAsync();
        Sink = await SinkServer.StartAsync();
        A = await PostgreSqlHosts.StartAsync("A", _database.ConnectionString);
        B = await PostgreSqlHosts.StartAsync("B", _database.ConnectionString);
        await PostgreSqlHosts.BothListeningAsync(A, B);
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is null)
        {
            return;
        }

        await A.DisposeAsync();
        await B.DisposeAsync();
        await Sink.DisposeAsync();
        await _database.DisposeAsync();
    }
}

public sealed class MultiHostTests(TwoHostsFixture hosts) : IClassFixture<TwoHostsFixture>
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    private MimisbrunnrTestHost A => hosts.A;

    private MimisbrunnrTestHost B => hosts.B;

    private SinkServer Sink => hosts.Sink;

    [Fact]
    public async Task A_norn_created_through_A_receives_an_event_posted_to_B_within_one_second()
    {
        PostgreSqlServer.Require();
        const string Device = "mac:a10000000001";
        var (status, id) = await A.CreateNornAsync("alice", TestNorns.HttpRequest(Device, Sink.Url("/created-on-a")));
        Assert.Equal(HttpStatusCode.Created, status);
        var clock = Stopwatch.StartNew();

        await Eventually.TrueAsync(() => B.Registry.Find(id!) is not null, "B knows the norn created through A", OneSecond);
        Assert.Equal(HttpStatusCode.Accepted, await B.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "txn-b")));
        var delivered = await Sink.WaitForRequestsAsync(1, "/created-on-a", OneSecond);

        Assert.True(clock.Elapsed < OneSecond, $"took {clock.Elapsed}");
        Assert.Equal("txn-b", Assert.Single(delivered).Header("X-Webpa-Transaction-Id"));
    }

    [Fact]
    public async Task An_update_through_B_is_used_by_As_next_delivery()
    {
        PostgreSqlServer.Require();
        const string Device = "mac:a10000000002";
        var url = Sink.Url("/updated-on-b");
        var (status, id) = await A.CreateNornAsync("alice", TestNorns.HttpRequest(Device, url, secret: "first-secret"));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(HttpStatusCode.Accepted, await A.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "txn-1")));
        var first = (await Sink.WaitForRequestsAsync(1, "/updated-on-b"))[0];
        Assert.Equal(PostgreSqlHosts.ExpectedSignature("first-secret", first.Body), first.Header("X-Webpa-Signature"));
        await Eventually.TrueAsync(() => B.Registry.Find(id!) is not null, "B knows the norn", OneSecond);

        Assert.Equal(HttpStatusCode.OK, await B.UpdateNornAsync("alice", id!, TestNorns.HttpRequest(Device, url, secret: "second-secret")));
        await Eventually.TrueAsync(
            () => A.Registry.Find(id!)?.Norn.Destination.Http?.Secret == "second-secret", "A has the new secret", OneSecond);
        Assert.Equal(HttpStatusCode.Accepted, await A.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "txn-2")));

        var second = (await Sink.WaitForRequestsAsync(2, "/updated-on-b"))[1];
        Assert.Equal("txn-2", second.Header("X-Webpa-Transaction-Id"));
        Assert.Equal(PostgreSqlHosts.ExpectedSignature("second-secret", second.Body), second.Header("X-Webpa-Signature"));
        Assert.NotEqual(PostgreSqlHosts.ExpectedSignature("first-secret", second.Body), second.Header("X-Webpa-Signature"));
    }

    [Fact]
    public async Task A_delete_through_B_stops_delivery_through_A()
    {
        PostgreSqlServer.Require();
        const string Device = "mac:a10000000003";
        var (status, id) = await A.CreateNornAsync("alice", TestNorns.HttpRequest(Device, Sink.Url("/deleted-on-b")));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(HttpStatusCode.Accepted, await A.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "txn-1")));
        await Sink.WaitForRequestsAsync(1, "/deleted-on-b");
        await Eventually.TrueAsync(() => B.Registry.Find(id!) is not null, "B knows the norn", OneSecond);

        Assert.Equal(HttpStatusCode.NoContent, await B.DeleteNornAsync("alice", id!));
        await Eventually.TrueAsync(() => A.Registry.Find(id!) is null, "A forgot the deleted norn", OneSecond);
        var unrouted = A.Metrics.EventsReceived("no_norns");
        Assert.Equal(HttpStatusCode.Accepted, await A.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "txn-2")));

        // Routed before the 202: A found no norn for the device, so nothing was enqueued for delivery.
        Assert.Equal(unrouted + 1, A.Metrics.EventsReceived("no_norns"));
        Assert.Single(Sink.RequestsTo("/deleted-on-b"));
    }

    [Fact]
    public async Task Sixteen_creators_across_two_instances_make_a_thousand_norns_without_duplicates_or_losses()
    {
        PostgreSqlServer.Require();
        const int Creators = 16;
        const int Total = 1000;
        var created = new ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, Creators).Select(c => Task.Run(
            async () =>
            {
                var host = c % 2 == 0 ? A : B;
                for (var n = c; n < Total; n += Creators)
                {
                    var (status, id) = await host.CreateNornAsync($"bulk-{c % 4}", TestNorns.HttpRequest($"mac:b1{n:x10}", Sink.Url($"/bulk/{n}")));
                    Assert.True(status == HttpStatusCode.Created, $"norn {n} through {host}: {status}");
                    created.Add(id!);
                }
            },
            TestContext.Current.CancellationToken)));

        Assert.Equal(Total, created.Count);
        Assert.Equal(Total, created.Distinct().Count());
        var stored = new List<string>();
        await foreach (var norn in A.PgStore().LoadActiveAsync(DateTimeOffset.UtcNow, TestContext.Current.CancellationToken))
        {
            if (norn.Owner.StartsWith("bulk-", StringComparison.Ordinal))
            {
                stored.Add(norn.Id);
            }
        }

        Assert.Equal(created.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
        for (var owner = 0; owner < 4; owner++)
        {
            var page = await B.PgStore().ListAsync(
                new NornQuery($"bulk-{owner}", null, null, 1000, DateTimeOffset.UtcNow), TestContext.Current.CancellationToken);
            Assert.Equal(Total / 4, page.Items.Count);
        }

        // Both instances' indexes end up with every norn, whichever instance created it.
        await Eventually.TrueAsync(() => created.All(id => A.Registry.Find(id) is not null), "A has all", TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => created.All(id => B.Registry.Find(id) is not null), "B has all", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Two_owners_racing_through_two_instances_have_exactly_one_winner()
    {
        PostgreSqlServer.Require();
        for (var round = 0; round < 25; round++)
        {
            var device = $"mac:c1{round:x10}";
            var url = Sink.Url($"/race/{round}");
            var results = await Task.WhenAll(
                Task.Run(() => A.CreateNornAsync("alice", TestNorns.HttpRequest(device, url)), TestContext.Current.CancellationToken),
                Task.Run(() => B.CreateNornAsync("bob", TestNorns.HttpRequest(device, url)), TestContext.Current.CancellationToken));

            Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], results.Select(r => r.Status).Order());
            var winner = results[0].Status == HttpStatusCode.Created ? "alice" : "bob";
            var id = results.Single(r => r.Status == HttpStatusCode.Created).Id!;
            Assert.Equal(winner, (await A.PgStore().GetAsync(id, TestContext.Current.CancellationToken))!.Owner);
            await Eventually.TrueAsync(() => A.Registry.Find(id)?.Norn.Owner == winner, "A agrees on the owner", OneSecond);
            await Eventually.TrueAsync(() => B.Registry.Find(id)?.Norn.Owner == winner, "B agrees on the owner", OneSecond);
        }
    }
}
