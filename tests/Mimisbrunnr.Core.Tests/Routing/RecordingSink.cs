using System.Collections.Concurrent;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;

namespace Mimisbrunnr.Tests.Routing;

/// <summary>Records what it is offered and answers with <see cref="Outcome"/>.</summary>
internal sealed class RecordingSink : INornEventSink
{
    public ConcurrentQueue<(RegisteredNorn Norn, RoutedEvent Event)> Offered { get; } = new();

    public EnqueueOutcome Outcome { get; set; } = EnqueueOutcome.Enqueued;

    public EnqueueOutcome TryEnqueue(RegisteredNorn norn, RoutedEvent routedEvent)
    {
        Offered.Enqueue((norn, routedEvent));
        return Outcome;
    }
}
