using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Tests.Dispatch;

public sealed class NornDispatcherPoolTests
{
    [Fact]
    public async Task One_worker_delivers_every_event_in_order()
    {
        await using var f = new PoolFixture(d => d.QueueSize = 1_000);
        var norn = f.AddNorn();

        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(EnqueueOutcome.Enqueued, f.Enqueue(norn, i));
        }

        await f.WaitForSentAsync(300);
        Assert.Equal(Enumerable.Range(0, 300), f.Sender.SentEvents.Select(TestData.Number));
        Assert.Equal(1, f.Sender.MaxInFlight);
        Assert.Equal(300, f.Recorder.Deliveries("success"));
        Assert.Empty(f.Recorder.DropsByReason());
        await Eventually.TrueAsync(() => f.Recorder.QueueDepth == 0, () => $"depth {f.Recorder.QueueDepth}");
    }

    [Fact]
    public async Task Several_workers_send_concurrently_up_to_their_number()
    {
        await using var f = new PoolFixture(d => d.Workers = 3);
        var norn = f.AddNorn();
        f.Sender.Hold(norn.Id);

        for (var i = 0; i < 6; i++)
        {
            f.Enqueue(norn, i);
        }

        await f.WaitForStartedAsync(3);
        Assert.Equal(3, f.Sender.MaxInFlight);
        f.Sender.Release(norn.Id);
        await f.WaitForSentAsync(6);
        Assert.Equal(3, f.Sender.MaxInFlight);
    }

    [Fact]
    public async Task A_batching_sender_gets_what_is_buffered_up_to_its_batch_size()
    {
        var sender = new FakeSender(maxBatchSize: 10);
        await using var f = new PoolFixture(d => d.QueueSize = 100, sender);
        var norn = f.AddNorn();
        sender.Hold(norn.Id);
        f.Enqueue(norn, 0);
        await f.WaitForStartedAsync(1);

        for (var i = 1; i <= 25; i++)
        {
            f.Enqueue(norn, i);
        }

        sender.Release(norn.Id);
        await f.WaitForSentAsync(26);
        var batches = sender.Sent.Select(s => s.Batch.Length).ToArray();
        Assert.Equal(1, batches[0]);
        Assert.All(batches, size => Assert.InRange(size, 1, 10));
        Assert.Equal(new[] { 1, 10, 10, 5 }, batches);
        Assert.Equal(Enumerable.Range(0, 26), sender.SentEvents.Select(TestData.Number));
    }

    [Fact]
    public async Task A_full_buffer_starts_a_cut_off_that_drops_everything_for_the_period()
    {
        await using var f = new PoolFixture(d =>
        {
            d.QueueSize = 4;
            d.CutOffPeriod = TimeSpan.FromSeconds(10);
        });
        var norn = f.AddNorn(failureUrl: "https://consumer.example/cutoff");
        f.Sender.Hold(norn.Id);
        Assert.Equal(EnqueueOutcome.Enqueued, f.Enqueue(norn, 0));
        await f.WaitForStartedAsync(1); // in flight, no longer buffered

        for (var i = 1; i <= 4; i++)
        {
            Assert.Equal(EnqueueOutcome.Enqueued, f.Enqueue(norn, i));
        }

        Assert.Equal(EnqueueOutcome.QueueFull, f.Enqueue(norn, 5));
        for (var i = 6; i <= 10; i++)
        {
            Assert.Equal(EnqueueOutcome.CutOff, f.Enqueue(norn, i));
        }

        Assert.Equal(5, f.Recorder.Drops(DropReasons.QueueFull)); // the 4 buffered + the one that did not fit
        Assert.Equal(5, f.Recorder.Drops(DropReasons.CutOff));
        Assert.Equal(1, f.Recorder.CutOffs);
        Assert.Equal(0, f.Recorder.QueueDepth);

        await Eventually.TrueAsync(() => !f.Notifier.Notices.IsEmpty, () => "no cut-off notice");
        var (notified, notice) = Assert.Single(f.Notifier.Notices);
        Assert.Equal(norn.Id, notified.Id);
        Assert.Equal(new CutOffNotice(TimeSpan.FromSeconds(10), TestNorns.T0.AddSeconds(10), 4, 1), notice);

        f.Time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.Equal(EnqueueOutcome.CutOff, f.Enqueue(norn, 11));
        f.Time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(EnqueueOutcome.Enqueued, f.Enqueue(norn, 12));

        f.Sender.Release(norn.Id);
        await f.WaitForSentAsync(2);
        Assert.Equal(new[] { 0, 12 }, f.Sender.SentEvents.Select(TestData.Number));
        Assert.Single(f.Notifier.Notices);
    }

    [Fact]
    public async Task Concurrent_overflow_starts_exactly_one_cut_off()
    {
        await using var f = new PoolFixture(d => d.QueueSize = 8);
        var norn = f.AddNorn();
        f.Sender.Hold(norn.Id);
        f.Enqueue(norn, 0);
        await f.WaitForStartedAsync(1);

        var outcomes = new System.Collections.Concurrent.ConcurrentBag<EnqueueOutcome>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                outcomes.Add(f.Enqueue(norn, 1 + (t * 200) + i));
            }
        })));

        // Exactly one overflow starts the cut-off. A thread that checked the cut-off just before it began may still
        // get its event into the emptied buffer (at most one per other thread); such events are delivered.
        var enqueued = outcomes.Count(o => o == EnqueueOutcome.Enqueued);
        var cutOff = outcomes.Count(o => o == EnqueueOutcome.CutOff);
        Assert.Equal(1, outcomes.Count(o => o == EnqueueOutcome.QueueFull));
        Assert.InRange(enqueued, 8, 8 + 3);
        Assert.Equal(800, enqueued + 1 + cutOff);
        Assert.Equal(1, f.Recorder.CutOffs);
        Assert.Equal(cutOff, f.Recorder.Drops(DropReasons.CutOff));
        await Eventually.TrueAsync(() => !f.Notifier.Notices.IsEmpty, () => "no cut-off notice");
        Assert.Single(f.Notifier.Notices);

        // Every event is accounted for once: sent, or dropped with its reason.
        f.Sender.Release(norn.Id);
        await Eventually.TrueAsync(
            () => f.Sender.SentEvents.Count() + f.Recorder.Drops(DropReasons.QueueFull) + f.Recorder.Drops(DropReasons.CutOff) == 801,
            () => $"{f.Sender.SentEvents.Count()} sent; drops {f.Recorder}");
        var drained = f.Recorder.Drops(DropReasons.QueueFull) - 1; // the buffer emptied by the cut-off
        Assert.InRange(drained, 8, 8 + 3);
        Assert.Equal(enqueued - drained, f.Sender.SentEvents.Count() - 1);
        Assert.Equal(0, f.Recorder.QueueDepth);
    }

    [Fact]
    public async Task An_event_for_an_expired_norn_is_dropped_and_empties_its_buffer()
    {
        await using var f = new PoolFixture();
        var norn = f.AddNorn(ttl: TimeSpan.FromSeconds(10));
        f.Sender.Hold(norn.Id);
        f.Enqueue(norn, 0);
        await f.WaitForStartedAsync(1);
        f.Enqueue(norn, 1);
        f.Enqueue(norn, 2);
        f.Enqueue(norn, 3);

        f.Time.Advance(TimeSpan.FromSeconds(10));
        f.Sender.Release(norn.Id);

        // The worker takes event 1 after the expiry: it drops it and empties the buffer (2 and 3).
        await Eventually.TrueAsync(() => f.Recorder.Drops(DropReasons.Expired) == 3, () => $"expired drops {f.Recorder.Drops(DropReasons.Expired)}");
        Assert.Equal(0, f.Recorder.QueueDepth);
        Assert.Equal(new[] { 0 }, f.Sender.SentEvents.Select(TestData.Number));
    }

    [Fact]
    public async Task An_event_dequeued_after_expiry_empties_the_buffer()
    {
        await using var f = new PoolFixture();
        var norn = f.AddNorn(ttl: TimeSpan.FromSeconds(10));
        f.Sender.Hold(norn.Id);
        f.Enqueue(norn, 0);
        await f.WaitForStartedAsync(1);
        f.Enqueue(norn, 1);
        f.Enqueue(norn, 2);
        f.Enqueue(norn, 3);

        f.Time.Advance(TimeSpan.FromSeconds(11));
        f.Sender.Release(norn.Id);

        await Eventually.TrueAsync(() => f.Recorder.Drops(DropReasons.Expired) == 3, () => f.Recorder.ToString());
        Assert.Equal(new[] { 0 }, f.Sender.SentEvents.Select(TestData.Number));
        Assert.Equal(0, f.Recorder.QueueDepth);
    }

    [Fact]
    public async Task A_deleted_norn_stops_its_dispatcher_and_its_buffered_and_in_flight_events_are_dropped()
    {
        await using var f = new PoolFixture();
        var norn = f.AddNorn();
        f.Sender.Hold(norn.Id);
        f.Enqueue(norn, 0);
        await f.WaitForStartedAsync(1);
        f.Enqueue(norn, 1);
        f.Enqueue(norn, 2);
        f.Enqueue(norn, 3);

        f.Registry.Remove(norn.Id);

        await Eventually.TrueAsync(() => f.Recorder.Drops(DropReasons.Deleted) == 4, () => f.Recorder.ToString());
        await Eventually.TrueAsync(() => f.Pool.ActiveNornCount == 0, () => $"{f.Pool.ActiveNornCount} active");
        Assert.Equal(1, f.Sender.CancelledCount);
        Assert.Empty(f.Sender.Sent);
        Assert.Equal(0, f.Recorder.QueueDepth);
    }

    [Fact]
    public async Task A_norn_found_missing_at_the_next_send_stops_its_dispatcher()
    {
        await using var f = new PoolFixture();
        var norn = f.AddNorn();
        f.Sender.Hold(norn.Id);
        f.Enqueue(norn, 0);
        await f.WaitForStartedAsync(1);
        f.Enqueue(norn, 1);
        f.Enqueue(norn, 2);
        f.Enqueue(norn, 3);

        f.Registry.RemoveSilently(norn.Id);
        f.Sender.Release(norn.Id);

        await Eventually.TrueAsync(() => f.Recorder.Drops(DropReasons.Deleted) == 3, () => f.Recorder.ToString());
        await Eventually.TrueAsync(() => f.Pool.ActiveNornCount == 0, () => $"{f.Pool.ActiveNornCount} active");
        Assert.Equal(new[] { 0 }, f.Sender.SentEvents.Select(TestData.Number));
    }

    [Fact]
    public async Task An_updated_norn_is_used_from_the_next_send()
    {
        await using var f = new PoolFixture();
        var original = f.AddNorn();
        f.Sender.Hold(original.Id);
        f.Enqueue(original, 0);
        await f.WaitForStartedAsync(1);
        f.Enqueue(original, 1);

        var updated = f.Registry.Add(original.Norn with
        {
            Destination = new NornDestination { Http = original.Norn.Destination.Http! with { Secret = "rotated" } },
        });
        f.Sender.Release(original.Id);

        await f.WaitForSentAsync(2);
        var sent = f.Sender.Sent.ToArray();
        Assert.Same(original.Norn, sent[0].Norn);
        Assert.Same(updated.Norn, sent[1].Norn); // enqueued with the old version, sent with the current one
    }

    [Fact]
    public async Task A_gone_destination_removes_the_norn_and_stops_its_dispatcher()
    {
        await using var f = new PoolFixture();
        var norn = f.AddNorn();
        f.Sender.Outcomes.Enqueue(() => DeliveryOutcome.Gone);
        f.Sender.Hold(norn.Id);
        f.Enqueue(norn, 0);
        await f.WaitForStartedAsync(1);
        f.Enqueue(norn, 1);
        f.Enqueue(norn, 2);
        f.Sender.Release(norn.Id);

        Assert.Equal(norn.Id, await f.Registry.Removed.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        await Eventually.TrueAsync(() => f.Recorder.Drops(DropReasons.Deleted) == 3, () => f.Recorder.ToString());
        Assert.Equal(1, f.Recorder.Deliveries("gone"));
        Assert.Single(f.Sender.Sent);
        Assert.Null(f.Registry.Find(norn.Id));
    }

    [Fact]
    public async Task Failed_deliveries_are_counted_and_the_worker_goes_on()
    {
        await using var f = new PoolFixture();
        var norn = f.AddNorn();
        f.Sender.Outcomes.Enqueue(() => DeliveryOutcome.Failed(1));
        f.Sender.Outcomes.Enqueue(() => throw new InvalidOperationException("a sender bug"));

        for (var i = 0; i < 4; i++)
        {
            f.Enqueue(norn, i);
        }

        await Eventually.TrueAsync(() => f.Recorder.Deliveries("success") == 2, () => f.Recorder.ToString());
        Assert.Equal(2, f.Recorder.Drops(DropReasons.Failed));
        Assert.Equal(2, f.Recorder.Deliveries("failure"));
    }

    [Fact]
    public async Task A_norn_without_a_sender_for_its_kind_has_its_events_dropped_as_failed()
    {
        await using var f = new PoolFixture(null, new FakeSender(kind: DestinationKinds.Sqs));
        var norn = f.AddNorn();

        Assert.Equal(EnqueueOutcome.Enqueued, f.Enqueue(norn, 0));

        await Eventually.TrueAsync(() => f.Recorder.Drops(DropReasons.Failed) == 1, () => f.Recorder.ToString());
    }

    [Fact]
    public void Two_senders_for_one_kind_are_a_configuration_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new PoolFixture(null, new FakeSender(), new FakeSender()));
        Assert.Contains("'http'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_dispatcher_is_retired_and_a_new_one_serves_the_next_event()
    {
        await using var f = new PoolFixture(d => d.IdleTimeout = TimeSpan.FromMinutes(1));
        var norn = f.AddNorn();
        f.Enqueue(norn, 0);
        await f.WaitForSentAsync(1);
        Assert.Equal(1, f.Pool.ActiveNornCount);
        Assert.Equal(1, f.Recorder.Observe("mimisbrunnr.dispatchers.active"));

        // The idle timer runs inside Advance, so its decision is known when Advance returns.
        f.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(0, f.Retirements); // not idle long enough yet
        Assert.Equal(1, f.Pool.ActiveNornCount);
        f.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, f.Retirements);
        await Eventually.TrueAsync(() => f.Pool.ActiveNornCount == 0, () => $"{f.Pool.ActiveNornCount} active");
        Assert.Equal(0, f.Recorder.Observe("mimisbrunnr.dispatchers.active"));

        Assert.Equal(EnqueueOutcome.Enqueued, f.Enqueue(norn, 1));
        await f.WaitForSentAsync(2);
        Assert.Equal(1, f.Pool.ActiveNornCount);
    }

    [Fact]
    public async Task A_cut_off_norn_is_not_retired_before_its_cut_off_ends()
    {
        await using var f = new PoolFixture(d =>
        {
            d.QueueSize = 1;
            d.IdleTimeout = TimeSpan.FromSeconds(2);
            d.CutOffPeriod = TimeSpan.FromSeconds(60);
        });
        var norn = f.AddNorn();
        f.Sender.Hold(norn.Id);
        f.Enqueue(norn, 0);
        await f.WaitForStartedAsync(1);
        f.Enqueue(norn, 1);
        Assert.Equal(EnqueueOutcome.QueueFull, f.Enqueue(norn, 2));
        f.Sender.Release(norn.Id);
        await f.WaitForSentAsync(1);

        f.Time.Advance(TimeSpan.FromSeconds(10)); // idle, but still cut off: the idle timer, run inside Advance, keeps it
        Assert.Equal(0, f.Retirements);
        Assert.Equal(1, f.Pool.ActiveNornCount);
        Assert.Equal(EnqueueOutcome.CutOff, f.Enqueue(norn, 3));
    }

    [Fact]
    public async Task Quiet_norns_cost_no_dispatcher()
    {
        await using var f = new PoolFixture();
        for (var i = 0; i < 1_000; i++)
        {
            f.AddNorn($"https://consumer.example/hook/{i}");
        }

        Assert.Equal(0, f.Pool.ActiveNornCount);
        var busy = f.AddNorn("https://consumer.example/busy");
        f.Enqueue(busy, 0);
        Assert.Equal(1, f.Pool.ActiveNornCount);
        await f.WaitForSentAsync(1);
    }

    [Fact]
    public async Task A_stuck_norn_does_not_hold_up_a_healthy_norn_of_the_same_device()
    {
        await using var f = new PoolFixture(d => d.QueueSize = 8);
        var stuck = f.AddNorn("https://slow.example/hook");
        var healthy = f.AddNorn("https://fast.example/hook");
        f.Sender.Hold(stuck.Id);

        for (var i = 0; i < 200; i++)
        {
            f.Pool.TryEnqueue(stuck, TestData.Event(i));
            Assert.Equal(EnqueueOutcome.Enqueued, f.Pool.TryEnqueue(healthy, TestData.Event(i)));
            if (i % 8 == 7)
            {
                await Eventually.TrueAsync(
                    () => f.Sender.Sent.Count(s => s.Norn.Id == healthy.Id) == i + 1, () => $"healthy norn behind at {i}");
            }
        }

        Assert.Equal(Enumerable.Range(0, 200), f.Sender.Sent.Where(s => s.Norn.Id == healthy.Id).SelectMany(s => s.Batch).Select(TestData.Number));
        Assert.Equal(1, f.Recorder.CutOffs);
        Assert.True(f.Recorder.Drops(DropReasons.CutOff) > 100, f.Recorder.ToString());
    }

    [Fact]
    public async Task Stopping_delivers_what_is_buffered_and_then_refuses_events()
    {
        await using var f = new PoolFixture();
        var norn = f.AddNorn();
        f.Sender.Hold(norn.Id);
        for (var i = 0; i < 5; i++)
        {
            f.Enqueue(norn, i);
        }

        await f.WaitForStartedAsync(1);
        var stopping = f.Pool.StopAsync(CancellationToken.None);
        Assert.Equal(EnqueueOutcome.Stopped, f.Enqueue(norn, 5));
        Assert.False(stopping.IsCompleted);

        f.Sender.Release(norn.Id);
        await stopping.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        Assert.Equal(Enumerable.Range(0, 5), f.Sender.SentEvents.Select(TestData.Number));
        Assert.Equal(1, f.Recorder.Drops(DropReasons.Shutdown)); // the refused one only
        Assert.Equal(0, f.Pool.ActiveNornCount);
    }

    [Fact]
    public async Task Events_not_delivered_by_the_drain_deadline_are_counted_as_shutdown()
    {
        await using var f = new PoolFixture(d => d.DrainTimeout = TimeSpan.FromSeconds(5));
        var norn = f.AddNorn();
        f.Sender.Hold(norn.Id);
        for (var i = 0; i < 5; i++)
        {
            f.Enqueue(norn, i);
        }

        await f.WaitForStartedAsync(1);
        var stopping = f.Pool.StopAsync(CancellationToken.None);
        f.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(stopping.IsCompleted);
        f.Time.Advance(TimeSpan.FromSeconds(1));
        await stopping.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        Assert.Equal(5, f.Recorder.Drops(DropReasons.Shutdown)); // 4 buffered + the one in flight
        Assert.Empty(f.Sender.Sent);
        Assert.Equal(0, f.Recorder.QueueDepth);
    }

    [Fact]
    public async Task The_hosts_shutdown_token_also_ends_the_drain()
    {
        await using var f = new PoolFixture(d => d.DrainTimeout = TimeSpan.FromMinutes(5));
        var norn = f.AddNorn();
        f.Sender.Hold(norn.Id);
        f.Enqueue(norn, 0);
        f.Enqueue(norn, 1);
        await f.WaitForStartedAsync(1);

        using var host = new CancellationTokenSource();
        var stopping = f.Pool.StopAsync(host.Token);
        await host.CancelAsync();
        await stopping.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        Assert.Equal(2, f.Recorder.Drops(DropReasons.Shutdown));
    }

    [Fact]
    public async Task Disposing_synchronously_stops_at_once_and_counts_what_was_buffered()
    {
        await using var f = new PoolFixture(d => d.DrainTimeout = TimeSpan.FromMinutes(5));
        var norn = f.AddNorn();
        f.Sender.Hold(norn.Id);
        for (var i = 0; i < 3; i++)
        {
            f.Enqueue(norn, i);
        }

        await f.WaitForStartedAsync(1);
        f.Pool.Dispose();

        Assert.Equal(EnqueueOutcome.Stopped, f.Enqueue(norn, 3));
        await Eventually.TrueAsync(() => f.Recorder.Drops(DropReasons.Shutdown) == 4, () => f.Recorder.ToString());
        await Eventually.TrueAsync(() => f.Pool.ActiveNornCount == 0, () => $"{f.Pool.ActiveNornCount} active");
    }
}
