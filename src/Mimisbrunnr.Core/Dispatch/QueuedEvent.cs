using System.Diagnostics;
using Mimisbrunnr.Routing;

namespace Mimisbrunnr.Dispatch;

/// <summary>
/// One buffered event, with the trace context it was enqueued under, so that the delivery span continues the trace of
/// the request that brought the event (the worker that sends it runs outside that request).
/// </summary>
internal readonly record struct QueuedEvent(RoutedEvent Event, ActivityContext Parent);
