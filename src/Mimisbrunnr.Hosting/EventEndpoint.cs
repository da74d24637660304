using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Hosting;

/// <summary><c>POST /events</c>: signed WRP messages from Caduceus, routed into the norns' buffers.</summary>
internal static partial class EventEndpoint
{
    /// <summary>The header Caduceus signs with: <c>sha1=&lt;lowercase hex HMAC-SHA1 of the body&gt;</c>.</summary>
    public const string SignatureHeader = "X-Webpa-Signature";

    private static volatile WrpMsgPackOptions? _largeBodyOptions;

    private const string AllowedTypes = "application/msgpack, application/wrp, application/x-msgpack or application/json";

    /// <summary>The <c>Retry-After</c> of a 503 while the norn index loads.</summary>
    internal const int NotReadyRetryAfterSeconds = 5;

    public static async Task<IResult> HandleAsync(
        HttpContext context,
        EventRouter router,
        NornIndexState index,
        IOptionsMonitor<MimisbrunnrEventsOptions> optionsMonitor,
        ILogger<EventRouter> logger)
    {
        // Until the index is loaded an event would reach no norn; 503 makes Caduceus retry it instead of losing it.
        if (!index.IsLoaded)
        {
            context.Response.Headers.RetryAfter = NotReadyRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Problems.Create(
                StatusCodes.Status503ServiceUnavailable,
                "Not ready",
                "The norn index is still loading from the store; retry shortly. " + index.Problem);
        }

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
            message = isMsgPack ? WrpMsgPack.Decode(body, DecodeOptions(options.MaxBodyBytes), out _) : WrpJson.Decode(body);
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
        LogRouted(logger, message.TransactionUuid, result.Enqueued);
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    /// <summary>The decoder's limits for a body limit (its default caps input at 16 MiB; the body limit may be higher).</summary>
    private static WrpMsgPackOptions DecodeOptions(int maxBodyBytes)
    {
        if (maxBodyBytes <= WrpMsgPackOptions.DefaultMaxInputLength)
        {
            return WrpMsgPackOptions.Default;
        }

        var cached = _largeBodyOptions;
        if (cached?.MaxInputLength != maxBodyBytes)
        {
            cached = new WrpMsgPackOptions { MaxInputLength = maxBodyBytes };
            _largeBodyOptions = cached;
        }

        return cached;
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
