using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.ConsumerSample;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Client.Tests;

/// <summary><c>GetDeliveryStatusAsync</c> and <c>GetAttemptsAsync</c> against a real server delivering to a real sink.</summary>
public sealed class DeliveryStatusClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Status_and_attempts_follow_a_retried_delivery_and_a_filtered_event()
    {
        await using var sink = await SinkServer.StartAsync(Ct);
        sink.Enqueue("/hook", SinkResponse.WithStatus(503), SinkResponse.Ok);
        await using var server = await TestServer.StartAsync(engine: options =>
        {
            options.InstanceName = "instance-a";
            options.Delivery.Retries = 2;
        });
        var alice = server.ClientFor("alice");
        var device = TestNorns.Mac(0x5701);
        var (norn, _) = await alice.CreateOrUpdateAsync(
            TestNorns.HttpRequest(device, sink.Url("/hook"), filter: new NornFilter { Events = ["^device-status/.*/online$"] }, secret: TestNorns.Secret), Ct);

        // Before any event: idle on this instance, nothing counted, no attempts.
        var idle = await alice.GetDeliveryStatusAsync(norn.Id, Ct);
        Assert.NotNull(idle);
        Assert.Equal(NornDeliveryStates.Idle, idle.State);
        Assert.Equal("instance-a", idle.Instance);
        Assert.Null(idle.Since);
        Assert.Equal(0, idle.Delivered);
        Assert.All(idle.Dropped.Values, count => Assert.Equal(0, count));
        Assert.Empty((await alice.GetAttemptsAsync(norn.Id, Ct))!.Attempts);

        // One event: refused with 503, then accepted on the retry.
        await server.PostEventAsync(TestEvents.DeviceStatus(device, transaction: "status-1"));
        await sink.WaitForRequestsAsync(2, "/hook");
        NornDeliveryStatus? status = null;
        await Eventually.TrueAsync(
            async () => (status = await alice.GetDeliveryStatusAsync(norn.Id, Ct))?.Delivered == 1, "the delivery to be counted");
        Assert.Equal(NornDeliveryStates.Active, status!.State);
        Assert.NotNull(status.Since);
        Assert.NotNull(status.LastSuccessAt);
        Assert.Equal(0, status.Failed);
        Assert.Equal(0, status.Queued);
        Assert.Equal(503, status.LastFailure?.StatusCode);

        // An event the filter leaves out: counted as filtered while the norn is active (routing is done when /events answers).
        await server.PostEventAsync(TestEvents.DeviceStatus(device, eventName: "offline", transaction: "status-2"));
        status = await alice.GetDeliveryStatusAsync(norn.Id, Ct);
        Assert.Equal(1, status!.Filtered);
        Assert.Equal(1, status.Delivered);

        var attempts = await alice.GetAttemptsAsync(norn.Id, Ct);
        Assert.Equal("instance-a", attempts!.Instance);
        Assert.Collection(
            attempts.Attempts,
            newest =>
            {
                Assert.Equal(2, newest.Attempt);
                Assert.True(newest.Succeeded);
                Assert.Equal(200, newest.StatusCode);
                Assert.Equal("status-1", newest.TransactionId);
                Assert.True(newest.DurationMs >= 0);
            },
            first =>
            {
                Assert.Equal(1, first.Attempt);
                Assert.False(first.Succeeded);
                Assert.Equal(503, first.StatusCode);
                Assert.Null(first.Error);
                Assert.True(first.At <= attempts.Attempts[0].At);
            });

        // Another owner sees nothing, as with GET /norns/{id}.
        var bob = server.ClientFor("bob");
        Assert.Null(await bob.GetDeliveryStatusAsync(norn.Id, Ct));
        Assert.Null(await bob.GetAttemptsAsync(norn.Id, Ct));
    }

    [Fact]
    public async Task A_norn_whose_deliveries_fail_is_failing_with_its_last_failure()
    {
        await using var sink = await SinkServer.StartAsync(Ct);
        sink.SetDefault("/down", SinkResponse.WithStatus(500));
        await using var server = await TestServer.StartAsync(engine: options => options.Delivery.Retries = 1);
        var alice = server.ClientFor("alice");
        var device = TestNorns.Mac(0x5702);
        var (norn, _) = await alice.CreateOrUpdateAsync(TestNorns.HttpRequest(device, sink.Url("/down"), secret: TestNorns.Secret), Ct);

        await server.PostEventAsync(TestEvents.DeviceStatus(device, transaction: "down-1"));
        await sink.WaitForRequestsAsync(2, "/down");
        NornDeliveryStatus? status = null;
        await Eventually.TrueAsync(
            async () => (status = await alice.GetDeliveryStatusAsync(norn.Id, Ct))?.Failed == 1, "the failure to be counted");

        Assert.Equal(NornDeliveryStates.Failing, status!.State);
        Assert.Equal(0, status.Delivered);
        Assert.Null(status.LastSuccessAt);
        Assert.Equal(500, status.LastFailure!.StatusCode);
        var attempts = (await alice.GetAttemptsAsync(norn.Id, Ct))!.Attempts;
        Assert.Equal([2, 1], attempts.Select(a => a.Attempt));
        Assert.All(attempts, a => Assert.Equal(500, a.StatusCode));
    }

    [Fact]
    public async Task A_norn_whose_buffer_overflows_is_cut_off_until_the_end_of_its_period()
    {
        await using var sink = await SinkServer.StartAsync(Ct);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sink.SetDefault("/slow", SinkResponse.HeldUntil(release.Task));
        await using var server = await TestServer.StartAsync(engine: options =>
        {
            options.Delivery.QueueSize = 1;
            options.Delivery.CutOffPeriod = TimeSpan.FromHours(1);
        });
        var alice = server.ClientFor("alice");
        var device = TestNorns.Mac(0x5703);
        var (norn, _) = await alice.CreateOrUpdateAsync(TestNorns.HttpRequest(device, sink.Url("/slow"), secret: TestNorns.Secret), Ct);
        try
        {
            await server.PostEventAsync(TestEvents.DeviceStatus(device, transaction: "cut-1"));
            await sink.WaitForRequestsAsync(1, "/slow"); // in flight, held
            await server.PostEventAsync(TestEvents.DeviceStatus(device, transaction: "cut-2")); // buffered: the buffer is full
            await server.PostEventAsync(TestEvents.DeviceStatus(device, transaction: "cut-3")); // overflows: cut off
            await server.PostEventAsync(TestEvents.DeviceStatus(device, transaction: "cut-4")); // dropped while cut off

            var status = await alice.GetDeliveryStatusAsync(norn.Id, Ct);
            Assert.Equal(NornDeliveryStates.CutOff, status!.State);
            Assert.NotNull(status.CutOffUntil);
            Assert.True(status.CutOffUntil > DateTimeOffset.UtcNow.AddMinutes(30));
            Assert.Equal(0, status.Queued);
            Assert.Equal(1, status.CutOffs);
            Assert.Equal(2, status.Dropped["queue_full"]);
            Assert.Equal(1, status.Dropped["cut_off"]);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task The_consumer_sample_reports_the_status_when_nothing_arrives()
    {
        await using var server = await TestServer.StartAsync(engine: options => options.InstanceName = "instance-q");
        var device = TestNorns.Mac(0x5704);
        await using var app = ConsumerApp.Create(
        [
            "--urls=http://127.0.0.1:0",
            $"--Consumer:ServerUrl={server.BaseAddress}",
            "--Consumer:User=alice",
            $"--Consumer:Password={TestServer.Users["alice"]}",
            $"--Consumer:DeviceId={device}",
            "--Consumer:QuietPeriod=00:00:00.200",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync(Ct);
        try
        {
            var reporter = app.Services.GetRequiredService<DeliveryStatusReporter>();
            await Eventually.TrueAsync(() => reporter.LastStatus is not null, "a status report");
            Assert.Equal(NornDeliveryStates.Idle, reporter.LastStatus!.State);
            Assert.Equal("instance-q", reporter.LastStatus.Instance);
        }
        finally
        {
            await app.StopAsync(Ct);
        }
    }
}
