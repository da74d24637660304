using System.Net;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.PostgreSql.Tests;

/// <summary>Two hosts on one database whose clocks disagree: updates still reach both.</summary>
public sealed class ClockSkewTests
{
    [Fact]
    public async Task An_update_written_by_a_host_whose_clock_is_behind_reaches_the_host_whose_clock_is_ahead()
    {
        PostgreSqlServer.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync(ct);
        await using var sink = await SinkServer.StartAsync(ct);
        await using var ahead = await PostgreSqlHosts.StartAsync("ahead", database.ConnectionString, clock: new OffsetClock(TimeSpan.FromMinutes(2)));
        await using var behind = await PostgreSqlHosts.StartAsync("behind", database.ConnectionString);
        await PostgreSqlHosts.BothListeningAsync(ahead, behind, ct);
        const string Device = "mac:c10000000001";

        var (status, id) = await ahead.CreateNornAsync("alice", TestNorns.HttpRequest(Device, sink.Url("/skew"), secret: "first-secret"));
        Assert.Equal(HttpStatusCode.Created, status);
        await Eventually.TrueAsync(() => behind.Registry.Find(id!) is not null, "the other host knows the norn", TimeSpan.FromSeconds(5));

        // Stamped two minutes earlier than the version it replaces.
        Assert.Equal(HttpStatusCode.OK, await behind.UpdateNornAsync("alice", id!, TestNorns.HttpRequest(Device, sink.Url("/skew"), secret: "second-secret")));
        await Eventually.TrueAsync(
            () => ahead.Registry.Find(id!)?.Norn.Destination.Http?.Secret == "second-secret",
            "the host whose clock is ahead took the update",
            TimeSpan.FromSeconds(5));

        Assert.Equal(HttpStatusCode.Accepted, await ahead.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "after-update")));
        var delivered = Assert.Single(await sink.WaitForRequestsAsync(1, "/skew", TimeSpan.FromSeconds(5)));
        Assert.Equal(PostgreSqlHosts.ExpectedSignature("second-secret", delivered.Body), delivered.Header("X-Webpa-Signature"));
    }

    /// <summary>The system clock moved by a fixed offset; timers run as usual.</summary>
    private sealed class OffsetClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
    }
}
