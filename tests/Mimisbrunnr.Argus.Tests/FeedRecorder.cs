using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>Reads a store's change feed in the background and lets a test wait for a change, never for a silence.</summary>
internal sealed class FeedRecorder : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<NornChange> _changes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FeedRecorder(INornStore store)
    {
        var feed = store.WatchAsync(_stop.Token);
        _reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var change in feed.WithCancellation(_stop.Token))
                {
                    TaskCompletionSource changed;
                    lock (_gate)
                    {
                        _changes.Add(change);
                        changed = _changed;
                        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }

                    changed.TrySetResult();
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public IReadOnlyList<NornChange> Changes
    {
        get
        {
            lock (_gate)
            {
                return [.. _changes];
            }
        }
    }

    /// <summary>Subscribes and waits until the store's poller has learnt the bucket.</summary>
    public static async Task<FeedRecorder> StartAsync(ArgusNornStore store)
    {
        var recorder = new FeedRecorder(store);
        await store.WhenPollingAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return recorder;
    }

    /// <summary>Waits for a change matching <paramref name="match"/>; returns its index in <see cref="Changes"/>.</summary>
    public async Task<int> WaitForAsync(Func<NornChange, bool> match, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var index = _changes.FindIndex(c => match(c));
                if (index >= 0)
                {
                    return index;
                }

                changed = _changed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"no change feed entry for {what}; got: {string.Join(", ", Changes.Select(c => $"{c.Kind} {c.Id}"))}");
            }

            await Task.WhenAny(changed, Task.Delay(left, TestContext.Current.CancellationToken));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reader;
        _stop.Dispose();
    }
}
