namespace Mimisbrunnr.Registry;

/// <summary>
/// Whether this host's norn index can route: it has been loaded from the store at least once, and whether it is
/// following the store's changes now. <c>/events</c> answers 503 until the index is loaded (so that Caduceus retries
/// instead of events being routed to nobody), and health reports Unhealthy until then and Degraded while the index
/// does not follow the store.
/// </summary>
public sealed class NornIndexState
{
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _problem = "The norn index has not been loaded from the store yet.";

    internal NornIndexState()
    {
    }

    /// <summary>Whether the index has been loaded from the store (it stays loaded through later failures).</summary>
    public bool IsLoaded => _loaded.Task.IsCompleted;

    /// <summary>Completes when the index has been loaded for the first time.</summary>
    public Task Loaded => _loaded.Task;

    /// <summary>Why the index is not loaded or not following the store now; <see langword="null"/> when all is well.</summary>
    public string? Problem => _problem;

    internal void SetLoaded()
    {
        _problem = null;
        _loaded.TrySetResult();
    }

    internal void SetProblem(string? problem) => _problem = problem;
}
