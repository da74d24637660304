using System.Diagnostics;
using System.Net;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.PostgreSql.Tests;

/// <summary>Restarting the server breaks every connection of every test: these run alone, after the others.</summary>
[CollectionDefinition(nameof(ServerRestartCollection), DisableParallelization = true)]
public sealed class ServerRestartCollection;

[Collection(nameof(ServerRestartCollection))]
public sealed class ServerRestartTests
{
    private static readonly TimeSpan FiveSeconds = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Both_instances_reconnect_resync_and_deliver_within_five_seconds_of_a_server_restart()
    {
        PostgreSqlServer.Require();
        await using var database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);
        await using var sink = await SinkServer.StartAsync(TestContext.Current.CancellationToken);
        await using var a = await PostgreSqlHosts.StartAsync("A", database.ConnectionString);
        await using var b = await PostgreSqlHosts.StartAsync("B", database.ConnectionString);
        await PostgreSqlHosts.BothListeningAsync(a, b, TestContext.Current.CancellationToken);
        const string Before = "mac:d10000000001";
        const string After = "mac:d10000000002";
        var (status, beforeId) = await a.CreateNornAsync("alice", TestNorns.HttpRequest(Before, sink.Url("/before")));
        Assert.Equal(HttpStatusCode.Created, status);
        await Eventually.TrueAsync(() => b.Registry.Find(beforeId!) is not null, "B knows the first norn", FiveSeconds);
        var listeners = (a.PgStore().ListenerProcessId, b.PgStore().ListenerProcessId);
        Assert.NotEqual(0, listeners.Item1);
        Assert.NotEqual(0, listeners.Item2);

        await PostgreSqlServer.RestartAsync(TestContext.Current.CancellationToken);
        var clock = Stopwatch.StartNew();

        // Both listeners come back on new backends.
        await Eventually.TrueAsync(
            () => a.PgStore().ListenerProcessId is not 0 && a.PgStore().ListenerProcessId != listeners.Item1
                && b.PgStore().ListenerProcessId is not 0 && b.PgStore().ListenerProcessId != listeners.Item2,
            "both listeners reconnected",
            FiveSeconds);

        // A write through one instance after the restart reaches the other, and both deliver both norns' events.
        (status, var afterId) = await b.CreateNornAsync("alice", TestNorns.HttpRequest(After, sink.Url("/after")));
        Assert.Equal(HttpStatusCode.Created, status);
        await Eventually.TrueAsync(() => a.Registry.Find(afterId!) is not null, "A knows the norn created through B", FiveSeconds - clock.Elapsed);
        Assert.Equal(HttpStatusCode.Accepted, await a.PostEventAsync(TestEvents.DeviceStatus(Before, transaction: "a-before")));
        Assert.Equal(HttpStatusCode.Accepted, await b.PostEventAsync(TestEvents.DeviceStatus(Before, transaction: "b-before")));
        Assert.Equal(HttpStatusCode.Accepted, await a.PostEventAsync(TestEvents.DeviceStatus(After, transaction: "a-after")));
        Assert.Equal(HttpStatusCode.Accepted, await b.PostEventAsync(TestEvents.DeviceStatus(After, transaction: "b-after")));
        var remaining = FiveSeconds - clock.Elapsed;
        Assert.True(remaining > TimeSpan.Zero, $"took {clock.Elapsed}");
        var before = await sink.WaitForRequestsAsync(2, "/before", remaining);
        var after = await sink.WaitForRequestsAsync(2, "/after", FiveSeconds - clock.Elapsed);

        Assert.True(clock.Elapsed < FiveSeconds, $"took {clock.Elapsed}");
        Assert.Equal(["a-before", "b-before"], before.Select(r => r.Header("X-Webpa-Transaction-Id")).Order());
        Assert.Equal(["a-after", "b-after"], after.Select(r => r.Header("X-Webpa-Transaction-Id")).Order());
    }
}

/// <summary>
/// One instance's listening connection is cut (its backend terminated) and kept from reconnecting (its login role is
/// disabled) while the other instance writes: the first must learn every missed change once it is back.
/// </summary>
public sealed class DisconnectedInstanceTests
{
    private static readonly TimeSpan FiveSeconds = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task An_instance_whose_listener_was_down_learns_every_change_made_meanwhile()
    {
        PostgreSqlServer.Require();
        var ct = TestContext.Current.CancellationToken;
        var role = "host_a_" + Guid.NewGuid().ToString("N");
        var password = Guid.NewGuid().ToString("N");
        await PostgreSqlServer.ExecuteAsync($"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}';", ct);
        var database = await TestDatabase.CreateAsync(ct);
        try
        {
            await using var sink = await SinkServer.StartAsync(ct);
            await using var a = await PostgreSqlHosts.StartAsync("A", database.As(role, password));
            await using var b = await PostgreSqlHosts.StartAsync("B", database.ConnectionString);
            await PostgreSqlHosts.BothListeningAsync(a, b, ct);
            var (status, keptId) = await a.CreateNornAsync("alice", TestNorns.HttpRequest("mac:e10000000001", sink.Url("/kept"), secret: "old-secret"));
            Assert.Equal(HttpStatusCode.Created, status);
            (status, var deletedId) = await a.CreateNornAsync("alice", TestNorns.HttpRequest("mac:e10000000002", sink.Url("/deleted")));
            Assert.Equal(HttpStatusCode.Created, status);
            await Eventually.TrueAsync(
                () => b.Registry.Find(keptId!) is not null && b.Registry.Find(deletedId!) is not null, "B knows both", FiveSeconds);

            // A's index follows its feed in order: once A has applied a write it heard about through B, the reloads
            // queued before it (the resync at start) are done, and nothing else makes A read the store until the
            // listener is back. Without this barrier a late start-up reload can see B's writes below.
            (status, var barrierId) = await b.CreateNornAsync("alice", TestNorns.HttpRequest("mac:e10000000004", sink.Url("/barrier")));
            Assert.Equal(HttpStatusCode.Created, status);
            await Eventually.TrueAsync(() => a.Registry.Find(barrierId!) is not null, "A heard of the barrier", FiveSeconds);

            // Cut A's listener and keep it out.
            await PostgreSqlServer.ExecuteAsync($"ALTER ROLE {role} NOLOGIN;", ct);
            var listener = a.PgStore().ListenerProcessId;
            Assert.True(await PostgreSqlServer.TerminateAsync(listener, ct));
            await Eventually.TrueAsync(() => a.PgStore().ListenerProcessId == 0, "A noticed its listener is gone", FiveSeconds);
            Assert.False(a.PgStore().IsFollowing); // health reports Degraded meanwhile
            Assert.Contains("lost its connection", a.PgStore().Problem, StringComparison.Ordinal);

            // Meanwhile, through B: a new norn, a new secret, a delete.
            (status, var newId) = await b.CreateNornAsync("alice", TestNorns.HttpRequest("mac:e10000000003", sink.Url("/new")));
            Assert.Equal(HttpStatusCode.Created, status);
            Assert.Equal(HttpStatusCode.OK, await b.UpdateNornAsync("alice", keptId!, TestNorns.HttpRequest("mac:e10000000001", sink.Url("/kept"), secret: "new-secret")));
            Assert.Equal(HttpStatusCode.NoContent, await b.DeleteNornAsync("alice", deletedId!));

            // A missed all three (its index is stale while it cannot listen): after the writes it tried to listen
            // again and was refused, and its index did not change.
            var failures = ListenerFailures(a);
            await Eventually.TrueAsync(() => ListenerFailures(a) > failures, "A tried to reconnect after B's writes and was refused");
            Assert.Equal(0, a.PgStore().ListenerProcessId);
            Assert.Null(a.Registry.Find(newId!));
            Assert.NotNull(a.Registry.Find(deletedId!));
            Assert.Equal("old-secret", a.Registry.Find(keptId!)!.Norn.Destination.Http!.Secret);

            // Back: within 5 s A reconnects, reloads, and knows everything.
            await PostgreSqlServer.ExecuteAsync($"ALTER ROLE {role} LOGIN;", ct);
            var clock = Stopwatch.StartNew();
            await Eventually.TrueAsync(
                () => a.Registry.Find(newId!) is not null
                    && a.Registry.Find(deletedId!) is null
                    && a.Registry.Find(keptId!)?.Norn.Destination.Http?.Secret == "new-secret",
                "A caught up after reconnecting",
                FiveSeconds);
            Assert.NotEqual(0, a.PgStore().ListenerProcessId);
            Assert.NotEqual(listener, a.PgStore().ListenerProcessId);
            Assert.True(a.PgStore().IsFollowing);
            Assert.Null(a.PgStore().Problem);

            Assert.Equal(HttpStatusCode.Accepted, await a.PostEventAsync(TestEvents.DeviceStatus("mac:e10000000003", transaction: "to-new")));
            var unrouted = a.Metrics.EventsReceived("no_norns");
            Assert.Equal(HttpStatusCode.Accepted, await a.PostEventAsync(TestEvents.DeviceStatus("mac:e10000000002", transaction: "to-deleted")));
            Assert.Equal(unrouted + 1, a.Metrics.EventsReceived("no_norns")); // routed before the 202: no norn, nothing enqueued
            Assert.Equal(HttpStatusCode.Accepted, await a.PostEventAsync(TestEvents.DeviceStatus("mac:e10000000001", transaction: "to-kept")));
            var kept = (await sink.WaitForRequestsAsync(1, "/kept", FiveSeconds - clock.Elapsed))[0];
            Assert.Equal(PostgreSqlHosts.ExpectedSignature("new-secret", kept.Body), kept.Header("X-Webpa-Signature"));
            Assert.Single(await sink.WaitForRequestsAsync(1, "/new", FiveSeconds - clock.Elapsed));
            Assert.Empty(sink.RequestsTo("/deleted"));
        }
        finally
        {
            await database.DisposeAsync();
            await PostgreSqlServer.ExecuteAsync($"DROP ROLE IF EXISTS {role};", CancellationToken.None);
        }
    }

    /// <summary>How often the host's change listener failed (each failed reconnect attempt logs it once).</summary>
    private static int ListenerFailures(MimisbrunnrTestHost host) =>
        host.Logs.GetSnapshot().Count(r => r.Message.StartsWith("The norn change listener", StringComparison.Ordinal));
}
