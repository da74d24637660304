using System.Text;
using Mimisbrunnr.Client.Verification;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.ConsumerSample;

/// <summary><c>POST /deliveries</c> (the norn's URL) and <c>POST /cutoff</c> (its failure URL).</summary>
internal static partial class DeliveryEndpoints
{
    public static async Task<IResult> ReceiveAsync(
        HttpRequest request, DeliveryVerifier verifier, ConsumerSettings settings, ReceivedDeliveries received, ILoggerFactory loggers)
    {
        var log = loggers.CreateLogger("Mimisbrunnr.ConsumerSample.Deliveries");
        var body = await ReadBodyAsync(request);

        // 1. Verify the signature over the exact bytes before looking at them.
        VerifiedDelivery delivery;
        try
        {
            delivery = verifier.Verify(name => request.Headers[name], body);
        }
        catch (DeliveryVerificationException ex)
        {
            Rejected(log, ex.Message);
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Delivery rejected", detail: ex.Message);
        }

        // 2. Decode: whole WRP messages for application/json and application/msgpack norns, the payload alone otherwise.
        WrpMessage? message = null;
        if (settings.ContentType != DeliveryContentTypes.Payload)
        {
            try
            {
                message = delivery.DecodeWrp();
            }
            catch (DeliveryBodyException ex)
            {
                Rejected(log, ex.Message);
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Undecodable delivery", detail: ex.Message);
            }
        }

        // 3. Retries of one event carry the same webhook-id: handle each event once.
        if (!received.TryAdd(new ReceivedDelivery(delivery, message)))
        {
            Duplicate(log, delivery.WebhookId);
            return Results.NoContent();
        }

        var payload = message is null ? delivery.Body.ToArray() : message.Payload ?? [];
        var contentType = message?.ContentType ?? delivery.ContentType;
        Delivered(log, delivery.WebhookId, delivery.EventType, delivery.DeviceId, delivery.MessageType, payload.Length, contentType, Preview(payload, contentType));
        return Results.NoContent();
    }

    public static async Task<IResult> CutOffAsync(HttpRequest request, DeliveryVerifier verifier, ReceivedDeliveries received, ILoggerFactory loggers)
    {
        var log = loggers.CreateLogger("Mimisbrunnr.ConsumerSample.Deliveries");
        var body = await ReadBodyAsync(request);
        try
        {
            var notice = verifier.VerifyCutOffMessage(name => request.Headers[name], body);
            received.Add(notice);
            CutOff(log, notice.Norn.Id, notice.CutOffPeriod, notice.QueueSize);
            return Results.NoContent();
        }
        catch (DeliveryVerificationException ex)
        {
            Rejected(log, ex.Message);
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Notice rejected", detail: ex.Message);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        return buffer.ToArray();
    }

    private static string Preview(byte[] payload, string? contentType)
    {
        var textual = contentType is not null && (contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || contentType.Contains("json", StringComparison.OrdinalIgnoreCase));
        if (!textual || payload.Length == 0)
        {
            return string.Empty;
        }

        var text = Encoding.UTF8.GetString(payload, 0, Math.Min(payload.Length, 200));
        return payload.Length > 200 ? text + "…" : text;
    }

    [LoggerMessage(1, LogLevel.Information, "Delivery {WebhookId}: {EventType} of {DeviceId} ({MessageType}), payload {Length} bytes {ContentType} {Preview}")]
    private static partial void Delivered(ILogger logger, string? webhookId, string? eventType, string? deviceId, string? messageType, int length, string? contentType, string preview);

    [LoggerMessage(2, LogLevel.Information, "Delivery {WebhookId} again (a retry): already handled")]
    private static partial void Duplicate(ILogger logger, string? webhookId);

    [LoggerMessage(3, LogLevel.Warning, "Rejected a request: {Reason}")]
    private static partial void Rejected(ILogger logger, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Norn {NornId} was cut off for {Period}: this consumer did not keep up (buffer of {QueueSize})")]
    private static partial void CutOff(ILogger logger, string nornId, TimeSpan period, int queueSize);
}
