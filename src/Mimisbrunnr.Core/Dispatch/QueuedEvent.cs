using System.Diagnostics;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Dispatch;

/// <summary>
/// One buffered event, with the trace context it was enqueued under, so that the delivery span continues the trace of
/// the request that brought the event (the worker that sends it runs outside that request), and its size, so that the
/// buffered bytes are known without touching the event again.
/// </summary>
internal readonly record struct QueuedEvent(RoutedEvent Event, ActivityContext Parent, int Size)
{
    // The event routed last on this thread: routing offers one event to every norn of its device in a row, so the size
    // is worked out once per event, not once per norn.
    [ThreadStatic]
    private static RoutedEvent? t_lastEvent;

    [ThreadStatic]
    private static int t_lastSize;

    /// <summary>
    /// The size an event counts for in the buffered bytes (<c>mimisbrunnr.queue.bytes</c>): its payload bytes plus the
    /// characters of its WRP text fields (source, destination, transaction id, content type, accept, path, service
    /// name, URL, session id, headers, partner ids, metadata keys and values). Close to its msgpack encoding without
    /// the framing for the ASCII text WRP carries in practice (for a message decoded from msgpack: exactly its msgpack
    /// bytes, which it holds); the same event buffered for N norns counts N times, as
    /// each buffer holds it.
    /// </summary>
    public static int SizeOf(RoutedEvent routedEvent)
    {
        if (ReferenceEquals(t_lastEvent, routedEvent))
        {
            return t_lastSize;
        }

        var size = Measure(routedEvent.Message);
        t_lastEvent = routedEvent;
        t_lastSize = size;
        return size;
    }

    private static int Measure(WrpMessage message)
    {
        if (message.HasWire)
        {
            // A decoded message holds its msgpack bytes and creates fields on use: its size is those bytes, and
            // measuring must not create the fields.
            return message.WireLength;
        }

        long size = (message.Payload?.Length ?? 0)
            + message.Source.Length + message.Destination.Length + message.TransactionUuid.Length
            + message.ContentType.Length + message.Accept.Length + message.Path.Length + message.ServiceName.Length
            + message.Url.Length + message.SessionId.Length;
        if (message.Headers is { } headers)
        {
            foreach (var header in headers)
            {
                size += header.Length;
            }
        }

        if (message.PartnerIds is { } partners)
        {
            foreach (var partner in partners)
            {
                size += partner.Length;
            }
        }

        if (message.Metadata is { } metadata)
        {
            foreach (var pair in metadata)
            {
                size += pair.Key.Length + pair.Value.Length;
            }
        }

        return (int)Math.Min(size, int.MaxValue);
    }
}
