using Microsoft.Extensions.Time.Testing;

namespace Mimisbrunnr.Testing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that counts the timers created on it (a <see cref="PeriodicTimer"/>, a
/// <c>Task.Delay(…, timeProvider)</c>), so that a test advances the clock only once the code under test waits on it.
/// Advancing earlier is silently lost: the timer would start from the advanced time.
/// </summary>
/// <param name="start">The initial time.</param>
public sealed class TimerTrackingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private int _created;

    /// <summary>How many timers were created so far.</summary>
    public int TimersCreated => Volatile.Read(ref _created);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _created);
        return timer;
    }

    /// <summary>Waits until at least <paramref name="count"/> timers were created.</summary>
    /// <param name="count">How many.</param>
    /// <param name="description">Whose timers, for the failure message.</param>
    /// <returns>A task that completes once they exist.</returns>
    public Task WhenTimersCreatedAsync(int count, string description) =>
        Eventually.TrueAsync(() => TimersCreated >= count, () => $"{description}: {TimersCreated} of {count} timers created");
}
