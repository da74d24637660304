namespace Mimisbrunnr.Testing;

/// <summary>
/// Waits for a condition instead of sleeping: polls it every few milliseconds until it holds, and fails with a
/// description after a generous timeout (a loaded 2-core machine is slow, never wrong). Never assert on how long it
/// took; the timeout only turns "never" into a readable failure.
/// </summary>
public static class Eventually
{
    /// <summary>How long <see cref="TrueAsync(Func{bool}, string, TimeSpan?)"/> waits by default.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    /// <param name="condition">The condition, evaluated on each poll.</param>
    /// <param name="description">What is awaited, for the failure message.</param>
    /// <param name="timeout">How long to wait (default <see cref="DefaultTimeout"/>).</param>
    /// <returns>A task that completes once the condition held.</returns>
    public static Task TrueAsync(Func<bool> condition, string description, TimeSpan? timeout = null) =>
        TrueAsync(() => new ValueTask<bool>(condition()), () => description, timeout);

    /// <summary>Waits until <paramref name="condition"/> holds; the description is computed only on failure.</summary>
    /// <param name="condition">The condition, evaluated on each poll.</param>
    /// <param name="describe">Describes the state, for the failure message.</param>
    /// <param name="timeout">How long to wait (default <see cref="DefaultTimeout"/>).</param>
    /// <returns>A task that completes once the condition held.</returns>
    public static Task TrueAsync(Func<bool> condition, Func<string> describe, TimeSpan? timeout = null) =>
        TrueAsync(() => new ValueTask<bool>(condition()), describe, timeout);

    /// <summary>Waits until the asynchronous <paramref name="condition"/> holds.</summary>
    /// <param name="condition">The condition, evaluated on each poll.</param>
    /// <param name="description">What is awaited, for the failure message.</param>
    /// <param name="timeout">How long to wait (default <see cref="DefaultTimeout"/>).</param>
    /// <returns>A task that completes once the condition held.</returns>
    public static Task TrueAsync(Func<Task<bool>> condition, string description, TimeSpan? timeout = null) =>
        TrueAsync(async () => await condition().ConfigureAwait(false), () => description, timeout);

    /// <summary>Reads a value until it is <paramref name="done"/>, and returns that value.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="read">Reads the value, on each poll.</param>
    /// <param name="done">Whether the value is the one awaited.</param>
    /// <param name="description">What is awaited, for the failure message (which also shows the last value read).</param>
    /// <param name="timeout">How long to wait (default <see cref="DefaultTimeout"/>).</param>
    /// <returns>The first value read that was <paramref name="done"/>.</returns>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, string description, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        var value = default(T);
        await TrueAsync(
            async () => done(value = await read().ConfigureAwait(false)),
            () => $"{description}; last seen: {value}",
            timeout).ConfigureAwait(false);
        return value!;
    }

    private static async Task TrueAsync(Func<ValueTask<bool>> condition, Func<string> describe, TimeSpan? timeout)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"Not true within {limit}: {describe()}");
            }

            await Task.Delay(PollInterval, TestContext.Current.CancellationToken).ConfigureAwait(false);
        }
    }
}
