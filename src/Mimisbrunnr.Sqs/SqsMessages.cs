using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.SQS.Model;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Sqs;

/// <summary>
/// Builds the SQS message of an event: the WRP JSON body (the same bytes as HTTP JSON delivery, cached per event) and
/// <c>String</c> message attributes for filtering without parsing the body.
/// </summary>
internal static class SqsMessages
{
    /// <summary>The message attribute with the event type (<c>dest</c> without <c>event:</c>).</summary>
    public const string EventTypeAttribute = "eventType";

    /// <summary>The message attribute with the canonical device id.</summary>
    public const string DeviceIdAttribute = "deviceId";

    /// <summary>The message attribute with the WRP transaction id (absent when the event has none).</summary>
    public const string TransactionIdAttribute = "transactionId";

    /// <summary>The message attribute with the WRP message type, as wrp-go names it (<c>SimpleEvent</c>, ...).</summary>
    public const string MessageTypeAttribute = "messageType";

    /// <summary>The message attribute with the W3C trace context of the delivery, when it is traced.</summary>
    public const string TraceParentAttribute = "traceparent";

    private const string StringType = "String";

    /// <summary>One outgoing message, with the size SQS counts against its limits.</summary>
    public sealed class Outgoing
    {
        public required string Id { get; init; }

        public required string Body { get; init; }

        public required Dictionary<string, MessageAttributeValue> Attributes { get; init; }

        /// <summary>Body bytes plus, per attribute, name, data type and value bytes (UTF-8), as SQS counts.</summary>
        public required int Size { get; init; }

        public string? GroupId { get; init; }

        public string? DeduplicationId { get; init; }
    }

    /// <summary>The message for one event of a batch; <paramref name="index"/> is its batch entry id.</summary>
    public static Outgoing Create(int index, string nornId, RoutedEvent routedEvent, bool fifo)
    {
        var body = Encoding.UTF8.GetString(routedEvent.GetWrpJson().Span);
        var message = routedEvent.Message;
        var attributes = new Dictionary<string, MessageAttributeValue>(5, StringComparer.Ordinal);
        var size = Encoding.UTF8.GetByteCount(body);
        size += Add(attributes, EventTypeAttribute, routedEvent.EventType);
        size += Add(attributes, DeviceIdAttribute, routedEvent.DeviceId.Value);
        size += Add(attributes, TransactionIdAttribute, message.TransactionUuid);
        size += Add(attributes, MessageTypeAttribute, FriendlyName(message.Type));
        if (Activity.Current is { } activity && activity.IdFormat == ActivityIdFormat.W3C)
        {
            size += Add(attributes, TraceParentAttribute, activity.Id);
        }

        return new Outgoing
        {
            Id = index.ToString(CultureInfo.InvariantCulture),
            Body = body,
            Attributes = attributes,
            Size = size,
            GroupId = fifo ? routedEvent.DeviceId.Value : null,
            DeduplicationId = fifo ? DeduplicationId(nornId, message.TransactionUuid) : null,
        };
    }

    /// <summary>
    /// Splits messages, in order, into requests of at most <paramref name="maxEntries"/> entries and
    /// <paramref name="maxBytes"/> bytes; a message larger than <paramref name="maxBytes"/> on its own gets a request of
    /// its own (sent with <c>SendMessage</c>, so that the queue's own size limit decides).
    /// </summary>
    /// <returns>For each request, the index of its first message and how many it holds.</returns>
    public static List<(int Start, int Count)> Plan(IReadOnlyList<int> sizes, int maxEntries, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        var plan = new List<(int, int)>();
        var start = 0;
        var bytes = 0;
        for (var i = 0; i < sizes.Count; i++)
        {
            var count = i - start;
            if (count > 0 && (count == maxEntries || bytes + sizes[i] > maxBytes))
            {
                plan.Add((start, count));
                start = i;
                bytes = 0;
            }

            bytes += sizes[i];
        }

        if (sizes.Count > start)
        {
            plan.Add((start, sizes.Count - start));
        }

        return plan;
    }

    /// <summary>wrp-go's <c>MessageType.FriendlyName()</c>: the constant name without its <c>MessageType</c> suffix.</summary>
    public static string FriendlyName(MessageType type) =>
        type is >= MessageType.Invalid0 and <= MessageType.Unknown ? type.ToString() : string.Empty;

    /// <summary>
    /// A FIFO deduplication id: stable for one event (transaction id) to one norn, so that a retried send is not
    /// delivered twice; random when the event has no transaction id.
    /// </summary>
    private static string DeduplicationId(string nornId, string transactionUuid) =>
        string.IsNullOrEmpty(transactionUuid)
            ? Guid.NewGuid().ToString("N")
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(nornId, "\n", transactionUuid))));

    private static int Add(Dictionary<string, MessageAttributeValue> attributes, string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 0; // SQS refuses empty attribute values
        }

        value = AttributeValue(value);
        attributes[name] = new MessageAttributeValue { DataType = StringType, StringValue = value };
        return Encoding.UTF8.GetByteCount(name) + StringType.Length + Encoding.UTF8.GetByteCount(value);
    }

    /// <summary>
    /// Device-supplied text as an attribute value: as is when SQS accepts every character (#x9, #xA, #xD, #x20 to
    /// #xD7FF, #xE000 to #xFFFD, and supplementary characters), percent-encoded otherwise.
    /// </summary>
    private static string AttributeValue(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var valid = c is '\t' or '\n' or '\r' or (>= ' ' and <= '\uD7FF') or (>= '\uE000' and <= '\uFFFD')
                || (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[++i]));
            if (!valid)
            {
                return Uri.EscapeDataString(value);
            }
        }

        return value;
    }
}
