using Mimisbrunnr.Registry;

namespace Mimisbrunnr.Routing;

/// <summary>
/// Takes an event for one norn into that norn's bounded buffer. Never blocks: a full buffer starts the norn's
/// cut-off. Implemented by the per-norn dispatcher pool.
/// </summary>
internal interface INornEventSink
{
    /// <summary>Offers an event to a norn's buffer.</summary>
    /// <param name="norn">The norn (current registered version).</param>
    /// <param name="routedEvent">The event.</param>
    /// <returns>What happened to the event.</returns>
    EnqueueOutcome TryEnqueue(RegisteredNorn norn, RoutedEvent routedEvent);

    /// <summary>Tells the sink that an event of the norn's device did not pass the norn's filter (not a drop). O(1).</summary>
    /// <param name="norn">The norn.</param>
    void Filtered(RegisteredNorn norn)
    {
    }
}

/// <summary>The outcome of <see cref="INornEventSink.TryEnqueue"/>.</summary>
internal enum EnqueueOutcome
{
    /// <summary>The event is buffered for delivery.</summary>
    Enqueued,

    /// <summary>The buffer was full: the event was dropped and the norn's cut-off started.</summary>
    QueueFull,

    /// <summary>The norn is cut off: the event was dropped.</summary>
    CutOff,

    /// <summary>The host is shutting down and accepts no more events.</summary>
    Stopped,

    /// <summary>Buffering the event would have passed the host's or the owner's cap on buffered bytes: dropped for this norn.</summary>
    OverBudget,
}
