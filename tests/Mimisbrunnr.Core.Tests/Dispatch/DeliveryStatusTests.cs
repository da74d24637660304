using System.Collections.Concurrent;
using System.Text;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Tests.Delivery;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Dispatch;

/// <summary>
/// The per-norn delivery status: it lives with the norn's dispatcher (nothing for a quiet norn, forgotten when the
/// dispatcher retires), counts what the dispatcher decides, and keeps the last attempts the sender reports.
/// </summary>
public sealed class DeliveryStatusTests
{
    [Fact]
    public async Task A_quiet_norn_has_no_status_of_its_own_and_reports_idle()
    {
        await using var pool = new PoolFixture();
        var norn = pool.AddNorn();
        var monitor = Monitor(pool);

        var status = monitor.GetStatus(norn.Id);

        Assert.Equal(NornDeliveryStates.Idle, status.State);
        Assert.Null(status.Since);
        Assert.Equal(0, status.Delivered);
        Assert.Equal(["queue_full", "cut_off", "expired", "deleted", "shutdown", "host_budget", "owner_budget"], status.Dropped.Keys);
        Assert.Empty(monitor.GetAttempts(norn.Id).Attempts);
        Assert.Null(pool.Pool.Find(norn.Id));

        // Filtering a quiet norn creates nothing either.
        pool.Pool.Filtered(norn);
        Assert.Null(pool.Pool.Find(norn.Id));
    }

    [Fact]
    public async Task Deliveries_attempts_and_filtered_events_are_counted_and_the_last_20_attempts_kept_newest_first()
    {
        var sender = new ReportingSender();
        await using var pool = new PoolFixture(options => options.QueueSize = 32, sender);
        var norn = pool.AddNorn();
        var monitor = Monitor(pool);

        for (var i = 0; i < 25; i++)
        {
            Assert.Equal(EnqueueOutcome.Enqueued, pool.Enqueue(norn, i));
        }

        await Eventually.TrueAsync(() => monitor.GetStatus(norn.Id).Delivered == 25, () => $"{monitor.GetStatus(norn.Id).Delivered} of 25 counted");
        pool.Pool.Filtered(norn);

        var status = monitor.GetStatus(norn.Id);
        Assert.Equal(NornDeliveryStates.Active, status.State);
        Assert.Equal(TestNorns.T0, status.Since);
        Assert.Equal(1, status.Filtered);
        Assert.Equal(0, status.Failed);
        Assert.NotNull(status.LastSuccessAt);
        Assert.Null(status.LastFailure);
        var attempts = monitor.GetAttempts(norn.Id).Attempts;
        Assert.Equal(NornDeliveryTracker.AttemptCapacity, attempts.Count);
        Assert.Equal(Enumerable.Range(5, 20).Reverse().Select(i => $"tx-{i:D6}"), attempts.Select(a => a.TransactionId));
        Assert.All(attempts, a => Assert.True(a.Succeeded));
        Assert.Equal(25.0, pool.Recorder.Sum("mimisbrunnr.delivery.attempts"));
    }

    [Fact]
    public async Task A_failed_send_makes_the_norn_failing_with_its_last_failure_until_a_delivery_succeeds()
    {
        var sender = new ReportingSender();
        sender.Script.Enqueue((false, null, DeliveryErrorKinds.Timeout));
        await using var pool = new PoolFixture(null, sender);
        var norn = pool.AddNorn();
        var monitor = Monitor(pool);

        pool.Enqueue(norn, 1);
        await Eventually.TrueAsync(() => monitor.GetStatus(norn.Id).Failed == 1, () => "the failure");
        var failing = monitor.GetStatus(norn.Id);
        Assert.Equal(NornDeliveryStates.Failing, failing.State);
        Assert.Equal(DeliveryErrorKinds.Timeout, failing.LastFailure?.Error);
        Assert.Null(failing.LastFailure?.StatusCode);
        Assert.Equal(1.0, pool.Recorder.Sum("mimisbrunnr.drops", "reason", DropReasons.Failed));

        pool.Enqueue(norn, 2);
        await Eventually.TrueAsync(() => monitor.GetStatus(norn.Id).Delivered == 1, () => "the delivery");
        var recovered = monitor.GetStatus(norn.Id);
        Assert.Equal(NornDeliveryStates.Active, recovered.State);
        Assert.NotNull(recovered.LastFailure); // still shown: the last failure, not the current state
        Assert.Equal([true, false], monitor.GetAttempts(norn.Id).Attempts.Select(a => a.Succeeded));
        Assert.Equal([200, null], monitor.GetAttempts(norn.Id).Attempts.Select(a => a.StatusCode));
    }

    [Fact]
    public async Task A_sender_that_reports_no_attempts_still_leaves_a_failure_behind()
    {
        await using var pool = new PoolFixture();
        pool.Sender.Outcomes.Enqueue(() => DeliveryOutcome.Failed(1));
        var norn = pool.AddNorn();
        var monitor = Monitor(pool);

        pool.Enqueue(norn, 1);
        await Eventually.TrueAsync(() => monitor.GetStatus(norn.Id).Failed == 1, () => "the failure");

        Assert.Equal(DeliveryErrorKinds.Other, monitor.GetStatus(norn.Id).LastFailure?.Error);
        Assert.Empty(monitor.GetAttempts(norn.Id).Attempts);
    }

    [Fact]
    public async Task Buffered_events_and_bytes_rise_while_a_send_is_held_and_return_to_zero()
    {
        await using var pool = new PoolFixture();
        var norn = pool.AddNorn();
        var monitor = Monitor(pool);
        pool.Sender.Hold(norn.Id);

        pool.Enqueue(norn, 1);
        await pool.WaitForStartedAsync(1); // taken out of the buffer, held in the send
        pool.Enqueue(norn, 2);
        pool.Enqueue(norn, 3);

        var size = QueuedEvent.SizeOf(TestData.Event(2));
        Assert.Equal(2, pool.Metrics.BufferedEvents);
        Assert.Equal(2L * size, pool.Metrics.BufferedBytes);
        Assert.Equal(2, monitor.GetStatus(norn.Id).Queued);
        var host = monitor.GetHostStatus();
        Assert.Equal((1, 2, 2L * size), (host.ActiveNorns, host.BufferedEvents, host.BufferedBytes));

        pool.Sender.Release(norn.Id);
        await pool.WaitForSentAsync(3);
        Assert.Equal(0, pool.Metrics.BufferedEvents);
        Assert.Equal(0, pool.Metrics.BufferedBytes);
    }

    [Fact]
    public async Task A_cut_off_norn_shows_its_cut_off_and_its_drops_by_reason()
    {
        await using var pool = new PoolFixture(options => options.QueueSize = 1);
        var norn = pool.AddNorn();
        var monitor = Monitor(pool);
        pool.Sender.Hold(norn.Id);

        pool.Enqueue(norn, 1);
        await pool.WaitForStartedAsync(1);
        pool.Enqueue(norn, 2); // fills the buffer
        Assert.Equal(EnqueueOutcome.QueueFull, pool.Enqueue(norn, 3));
        Assert.Equal(EnqueueOutcome.CutOff, pool.Enqueue(norn, 4));

        var status = monitor.GetStatus(norn.Id);
        Assert.Equal(NornDeliveryStates.CutOff, status.State);
        Assert.Equal(TestNorns.T0 + pool.Options.Delivery.CutOffPeriod, status.CutOffUntil);
        Assert.Equal(2, status.Dropped[DropReasons.QueueFull]);
        Assert.Equal(1, status.Dropped[DropReasons.CutOff]);
        Assert.Equal(1, status.CutOffs);
        Assert.Equal(1, monitor.GetHostStatus().CutOffNorns);
        Assert.Equal(0, pool.Metrics.BufferedBytes);

        pool.Time.Advance(pool.Options.Delivery.CutOffPeriod);
        Assert.Equal(NornDeliveryStates.Active, monitor.GetStatus(norn.Id).State);
        pool.Sender.Release(norn.Id);
    }

    [Fact]
    public async Task Retiring_an_idle_dispatcher_forgets_the_status_and_the_next_event_starts_counting_again()
    {
        await using var pool = new PoolFixture();
        var norn = pool.AddNorn();
        var monitor = Monitor(pool);
        pool.Enqueue(norn, 1);
        await Eventually.TrueAsync(() => monitor.GetStatus(norn.Id).Delivered == 1, () => "the delivery");

        pool.Time.Advance(pool.Options.Delivery.IdleTimeout * 2);
        await Eventually.TrueAsync(() => pool.Pool.Find(norn.Id) is null, () => "the retirement");

        Assert.Equal(NornDeliveryStates.Idle, monitor.GetStatus(norn.Id).State);
        pool.Enqueue(norn, 2);
        await Eventually.TrueAsync(() => monitor.GetStatus(norn.Id).Delivered == 1, () => "the second delivery");
        Assert.Equal(TestNorns.T0 + (pool.Options.Delivery.IdleTimeout * 2), monitor.GetStatus(norn.Id).Since);
    }

    [Fact]
    public async Task The_host_lists_an_owners_active_norns_cut_off_first()
    {
        await using var pool = new PoolFixture(options => options.QueueSize = 1);
        var quiet = pool.AddNorn("https://consumer.example/quiet");
        var busy = pool.AddNorn("https://consumer.example/busy");
        var cut = pool.AddNorn("https://consumer.example/cut");
        var monitor = Monitor(pool);
        pool.Enqueue(busy, 1);
        pool.Sender.Hold(cut.Id);
        pool.Enqueue(cut, 2);
        await pool.WaitForStartedAsync(2);
        pool.Enqueue(cut, 3);
        pool.Enqueue(cut, 4);

        var listed = monitor.GetActiveNorns(TestNorns.Owner, 10);

        Assert.Equal([cut.Id, busy.Id], listed.Select(n => n.Id));
        Assert.Equal(NornDeliveryStates.CutOff, listed[0].Delivery.State);
        Assert.DoesNotContain(listed, n => n.Id == quiet.Id);
        Assert.Empty(monitor.GetActiveNorns("someone-else", 10));
        Assert.Single(monitor.GetActiveNorns(TestNorns.Owner, 1));
        pool.Sender.Release(cut.Id);
    }

    [Fact]
    public void The_size_of_a_buffered_event_is_its_payload_and_text_fields()
    {
        var message = new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = "mac:112233445566/parodus", // 24
            Destination = "event:device-status/mac:112233445566/online", // 43
            TransactionUuid = "tx-1", // 4
            ContentType = "application/json", // 16
            Metadata = new Dictionary<string, string> { ["/trust"] = "1000" }, // 6 + 4
            PartnerIds = ["comcast"], // 7
            Payload = Encoding.UTF8.GetBytes("0123456789"), // 10
        };
        var routed = new RoutedEvent(message, DeviceId.Parse("mac:112233445566"), "device-status/mac:112233445566/online", TestNorns.T0);

        Assert.Equal(24 + 43 + 4 + 16 + 6 + 4 + 7 + 10, QueuedEvent.SizeOf(routed));
        Assert.Equal(QueuedEvent.SizeOf(routed), QueuedEvent.SizeOf(routed)); // cached for the next norn of the device
    }

    [Fact]
    public async Task The_http_sender_reports_every_try_with_its_status_or_error_kind()
    {
        await using var h = await DeliveryHarness.StartAsync(options =>
        {
            options.Delivery.Retries = 2;
            options.Delivery.Timeout = TimeSpan.FromMilliseconds(300);
        });
        var held = new TaskCompletionSource();
        h.Sink.Enqueue("/hook", SinkResponse.WithStatus(503), SinkResponse.HeldUntil(held.Task), SinkResponse.Ok);
        var norn = h.AddNorn("/hook");
        var observer = new RecordingObserver();

        var outcome = await h.Sender.SendAsync(norn.Norn, [TestData.Event(7)], observer, TestContext.Current.CancellationToken);
        held.TrySetResult();

        Assert.Equal(DeliveryStatus.Delivered, outcome.Status);
        var attempts = observer.Attempts.ToArray();
        Assert.Equal([1, 2, 3], attempts.Select(a => a.Number));
        Assert.Equal([503, null, 200], attempts.Select(a => a.StatusCode));
        Assert.Equal([null, DeliveryErrorKinds.Timeout, null], attempts.Select(a => a.Error));
        Assert.Equal([false, false, true], attempts.Select(a => a.Succeeded));
        Assert.All(attempts, a => Assert.Equal("tx-000007", a.TransactionId));
    }

    private static NornDeliveryMonitor Monitor(PoolFixture pool) =>
        new(pool.Pool, pool.Registry, pool.Metrics, StaticOptionsMonitor.For(pool.Options), pool.Time);

    /// <summary>Reports one attempt per send (scripted results, else success) and returns the matching outcome.</summary>
    private sealed class ReportingSender : INornDestinationSender
    {
        public ConcurrentQueue<(bool Succeeded, int? Status, string? Error)> Script { get; } = new();

        public string Kind => DestinationKinds.Http;

        public int MaxBatchSize => 1;

        public ValueTask<DeliveryOutcome> SendAsync(Norn norn, IReadOnlyList<RoutedEvent> batch, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the dispatcher calls the overload with an observer");

        public ValueTask<DeliveryOutcome> SendAsync(
            Norn norn, IReadOnlyList<RoutedEvent> batch, IDeliveryAttemptObserver attempts, CancellationToken cancellationToken)
        {
            var (succeeded, status, error) = Script.TryDequeue(out var next) ? next : (true, 200, null);
            attempts.OnAttempt(new DeliveryAttempt
            {
                StartedAt = TestNorns.T0,
                Duration = TimeSpan.FromMilliseconds(3),
                Number = 1,
                Succeeded = succeeded,
                StatusCode = status,
                Error = error,
                TransactionId = batch[0].Message.TransactionUuid,
                Events = batch.Count,
            });
            return ValueTask.FromResult(succeeded ? DeliveryOutcome.Delivered : DeliveryOutcome.Failed(batch.Count));
        }
    }

    private sealed class RecordingObserver : IDeliveryAttemptObserver
    {
        public ConcurrentQueue<DeliveryAttempt> Attempts { get; } = new();

        public void OnAttempt(in DeliveryAttempt attempt) => Attempts.Enqueue(attempt);
    }
}
