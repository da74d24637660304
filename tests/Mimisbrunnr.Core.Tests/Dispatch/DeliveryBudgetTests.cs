using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Tests.Dispatch;

/// <summary>The host's and each owner's caps on buffered bytes and concurrent sends, against a hostile owner.</summary>
public sealed class DeliveryBudgetTests
{
    [Fact]
    public async Task An_owner_over_its_byte_budget_loses_events_for_its_norns_only_and_gets_the_budget_back_once_sent()
    {
        await using var f = new PoolFixture(d =>
        {
            d.QueueSize = 10_000;
            d.MaxBufferedBytesPerOwner = 2_048;
        });
        var alice = f.AddNorn("https://slow.example/alice");
        var bob = Owned(f, "https://fast.example/bob", "bob");
        f.Sender.Hold(alice.Id);

        // The worker takes its first event (and gives its bytes back) before the flood, so that nothing is taken
        // out during it: what fits the budget is then exactly what is buffered.
        Assert.Equal(EnqueueOutcome.Enqueued, f.Enqueue(alice, 0));
        await f.WaitForStartedAsync(1);
        var outcomes = Enumerable.Range(1, 100).Select(i => f.Enqueue(alice, i)).ToList();
        var bobs = f.Enqueue(bob, 1_000);

        var buffered = outcomes.Count(o => o == EnqueueOutcome.Enqueued);
        Assert.InRange(buffered, 2, 60); // buffered up to 2 KiB (one more is in flight, held)
        Assert.All(outcomes.Skip(buffered), o => Assert.Equal(EnqueueOutcome.OverBudget, o));
        Assert.Equal(100 - buffered, f.Recorder.Drops(DropReasons.OwnerBudget));
        Assert.Equal(0, f.Recorder.Drops(DropReasons.QueueFull)); // a budget drop is not a cut-off
        Assert.Equal(EnqueueOutcome.Enqueued, bobs);
        Assert.InRange(f.Pool.Budgets.For(TestNorns.Owner).BufferedBytes, 1, 2_048);

        f.Sender.Release(alice.Id);
        await f.WaitForSentAsync(buffered + 1);
        await Eventually.TrueAsync(() => f.Pool.Budgets.BufferedBytes == 0, () => $"{f.Pool.Budgets.BufferedBytes} bytes still counted");
        Assert.Equal(EnqueueOutcome.Enqueued, f.Enqueue(alice, 2_000));
    }

    [Fact]
    public async Task The_host_budget_caps_the_sum_of_all_owners()
    {
        await using var f = new PoolFixture(d =>
        {
            d.QueueSize = 10_000;
            d.MaxBufferedBytes = 3_072;
            d.MaxBufferedBytesPerOwner = 2_048;
        });
        var alice = f.AddNorn("https://slow.example/alice");
        var bob = Owned(f, "https://slow.example/bob", "bob");
        f.Sender.Hold(alice.Id);
        f.Sender.Hold(bob.Id);
        f.Enqueue(alice, 0);
        f.Enqueue(bob, 0);
        await f.WaitForStartedAsync(2); // both workers hold their first event: nothing is taken out during the flood

        var alices = Enumerable.Range(1, 100).Select(i => f.Enqueue(alice, i)).ToList();
        var bobs = Enumerable.Range(1, 100).Select(i => f.Enqueue(bob, i)).ToList();

        Assert.Contains(EnqueueOutcome.OverBudget, alices);
        Assert.Contains(EnqueueOutcome.Enqueued, bobs);
        Assert.True(f.Recorder.Drops(DropReasons.OwnerBudget) > 0, "alice passed her own budget first");
        Assert.True(f.Recorder.Drops(DropReasons.HostBudget) > 0, "bob then met the host's budget");
        Assert.InRange(f.Pool.Budgets.BufferedBytes, 2_049, 3_072);
        Assert.InRange(f.Pool.Budgets.For("bob").BufferedBytes, 1, 3_072 - f.Pool.Budgets.For(TestNorns.Owner).BufferedBytes);
    }

    [Fact]
    public async Task An_owner_has_at_most_its_send_cap_in_flight_and_another_owner_is_not_held_up()
    {
        await using var f = new PoolFixture(d => d.MaxConcurrentSendsPerOwner = 2);
        var slow = Enumerable.Range(0, 3).Select(i => f.AddNorn($"https://slow.example/{i}")).ToList();
        var bob = Owned(f, "https://fast.example/bob", "bob");
        foreach (var norn in slow)
        {
            f.Sender.Hold(norn.Id);
        }

        for (var i = 0; i < slow.Count; i++)
        {
            Assert.Equal(EnqueueOutcome.Enqueued, f.Enqueue(slow[i], i));
        }

        await f.WaitForStartedAsync(2);
        Assert.Equal(EnqueueOutcome.Enqueued, f.Enqueue(bob, 100));
        await f.WaitForSentAsync(1); // bob's event went out while alice's three norns hold both of her slots

        Assert.Equal(3, f.Sender.Started); // alice's third send still waits for a slot
        foreach (var norn in slow)
        {
            f.Sender.Release(norn.Id);
        }

        await f.WaitForSentAsync(4);
        Assert.Equal(4, f.Sender.Started);
    }

    [Theory]
    [InlineData(1_000L, 1_000L, "Mimisbrunnr:Delivery:MaxBufferedBytes")]
    [InlineData(1_048_576L, 2_097_152L, "Mimisbrunnr:Delivery:MaxBufferedBytesPerOwner")]
    [InlineData(1_048_576L, 10L, "Mimisbrunnr:Delivery:MaxBufferedBytesPerOwner")]
    public void Budgets_that_cannot_work_are_refused_naming_the_key(long host, long perOwner, string key)
    {
        var options = new MimisbrunnrOptions();
        options.Delivery.MaxBufferedBytes = host;
        options.Delivery.MaxBufferedBytesPerOwner = perOwner;

        var result = new MimisbrunnrOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }

    private static RegisteredNorn Owned(PoolFixture f, string url, string owner)
    {
        var norn = f.AddNorn(url).Norn;
        return f.Registry.Add(norn with { Owner = owner });
    }
}
