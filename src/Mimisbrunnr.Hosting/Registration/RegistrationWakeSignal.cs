namespace Mimisbrunnr.Hosting;

/// <summary>
/// Wakes the webhook registration service before its interval is up, so that it registers again at once: used when
/// Caduceus says it cut this host off (<see cref="CaduceusCutOffEndpoint"/>).
/// </summary>
internal sealed class RegistrationWakeSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes the waiting service (or makes its next wait return at once).</summary>
    public void Wake()
    {
        lock (_gate)
        {
            _wake.TrySetResult();
        }
    }

    /// <summary>Waits for <paramref name="delay"/> or a <see cref="Wake"/>, whichever comes first; then re-arms.</summary>
    /// <returns><see langword="true"/> when woken.</returns>
    public async Task<bool> WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
    {
        Task woken;
        lock (_gate)
        {
            woken = _wake.Task;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delayed = Task.Delay(delay, time, cts.Token);
        var first = await Task.WhenAny(woken, delayed).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (first != woken)
        {
            return false;
        }

        lock (_gate)
        {
            if (_wake.Task.IsCompleted)
            {
                _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        return true;
    }
}
