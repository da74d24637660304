using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Hosting;

/// <summary><c>POST /events</c>: signed WRP messages from Caduceus, routed into the norns' buffers.</summary>
internal static partial class EventEndpoint
{
    /// <summary>The header Caduceus signs with: <c>sha1=&lt;lowercase hex HMAC-SHA1 of the body&gt;</c>.</summary>
    public const string SignatureHeader = "X-Webpa-Signature";

    private const string AllowedTypes = "application/msgpack, application/wrp, application/x-msgpack or application/json";

    public static async Task<IResult> HandleAsync(
        HttpContext context,
        EventRouter router,
        IOptionsMonitor<MimisbrunnrEventsOptions> optionsMonitor,
        ILoggerFactory loggerFactory)
    {
        var options = optionsMonitor.CurrentValue;
        var request = context.Request;
        var mediaType = HttpBody.MediaType(request);
        var isMsgPack = mediaType is "application/msgpack" or "application/wrp" or "application/x-msgpack";
        if (!isMsgPack && mediaType != "application/json")
        {
            return Problems.UnsupportedMediaType(mediaType, AllowedTypes);
        }

        var body = await HttpBody.ReadAsync(request, options.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            return Problems.TooLarge(options.MaxBodyBytes);
        }

        // MapMimisbrunnr refused to map this endpoint without a secret unless unsigned events are allowed.
        if (!string.IsNullOrEmpty(options.Secret) && !SignatureMatches(request.Headers[SignatureHeader].ToString(), options.Secret, body))
        {
            return Problems.Create(
                StatusCodes.Status403Forbidden,
                "Bad signature",
                $"The {SignatureHeader} header is missing or does not match the body.");
        }

        WrpMessage message;
        try
        {
            message = isMsgPack ? WrpMsgPack.Decode(body) : WrpJson.Decode(body);
            WrpValidator.Validate(message);
        }
        catch (WrpFormatException ex)
        {
            return Problems.Invalid("The body is not a WRP message: " + ex.Message, null, "wrp");
        }
        catch (WrpValidationException ex)
        {
            return Problems.Invalid("The WRP message is invalid: " + ex.Message, ex.Field, ex.Rule);
        }

        var result = router.Route(message, options.DefaultPartnerIds as IReadOnlyList<string>);
        LogRouted(loggerFactory.CreateLogger(typeof(EventEndpoint)), message.TransactionUuid, result.Enqueued);
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    /// <summary>Compares <c>sha1=&lt;hex&gt;</c> with the HMAC of the body in constant time.</summary>
    internal static bool SignatureMatches(string header, string secret, ReadOnlySpan<byte> body)
    {
        const string Prefix = "sha1=";
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var hex = header.AsSpan(Prefix.Length).Trim();
        Span<byte> given = stackalloc byte[HMACSHA1.HashSizeInBytes];
        if (hex.Length != given.Length * 2 || Convert.FromHexString(hex, given, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != given.Length)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA1.HashSizeInBytes];
        HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    [LoggerMessage(EventId = EventIds.EventRouted, Level = LogLevel.Debug, Message = "Event {TransactionUuid} routed to {Enqueued} norn buffer(s)")]
    private static partial void LogRouted(ILogger logger, string transactionUuid, int enqueued);
}
