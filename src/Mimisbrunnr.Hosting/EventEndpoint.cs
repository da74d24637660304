using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Hosting;

/// <summary><c>POST /events</c>: signed WRP messages from Caduceus, routed into the norns' buffers.</summary>
/// <remarks>
/// One instance per mapped endpoint holds the host's singletons, so a request resolves nothing from the container (no
/// request service scope is created) and an accepted event's 202 is written without an <see cref="IResult"/>.
/// </remarks>
internal sealed partial class EventEndpoint(
    EventRouter router,
    NornIndexState index,
    IOptionsMonitor<MimisbrunnrEventsOptions> optionsMonitor,
    ILogger<EventRouter> logger)
{
    /// <summary>The header Caduceus signs with: <c>sha1=&lt;lowercase hex HMAC-SHA1 of the body&gt;</c>.</summary>
    public const string SignatureHeader = "X-Webpa-Signature";

    private static volatile WrpMsgPackOptions? _largeBodyOptions;

    private const string AllowedTypes = "application/msgpack, application/wrp, application/x-msgpack or application/json";

    /// <summary>The <c>Retry-After</c> of a 503 while the norn index loads.</summary>
    internal const int NotReadyRetryAfterSeconds = 5;

    // The events secret as HMAC key bytes, for the options instance it came from.
    private volatile SecretKey? _key;

    /// <summary>Creates the endpoint with the host's services.</summary>
    public static EventEndpoint Create(IServiceProvider services) => new(
        services.GetRequiredService<EventRouter>(),
        services.GetRequiredService<NornIndexState>(),
        services.GetRequiredService<IOptionsMonitor<MimisbrunnrEventsOptions>>(),
        services.GetRequiredService<ILogger<EventRouter>>());

    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext context, CancellationToken aborted)
    {
        // Until the index is loaded an event would reach no norn; 503 makes Caduceus retry it instead of losing it.
        if (!index.IsLoaded)
        {
            context.Response.Headers.RetryAfter = NotReadyRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await Problems.Create(
                StatusCodes.Status503ServiceUnavailable,
                "Not ready",
                "The norn index is still loading from the store; retry shortly. " + index.Problem).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var options = optionsMonitor.CurrentValue;
        var request = context.Request;
        var mediaType = HttpBody.MediaType(request);
        var isMsgPack = mediaType is "application/msgpack" or "application/wrp" or "application/x-msgpack";
        if (!isMsgPack && mediaType != "application/json")
        {
            await Problems.UnsupportedMediaType(mediaType, AllowedTypes).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var body = await HttpBody.ReadAsync(request, options.MaxBodyBytes, aborted).ConfigureAwait(false);
        if (body is null)
        {
            await Problems.TooLarge(options.MaxBodyBytes).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        // MapMimisbrunnr refused to map this endpoint without a secret unless unsigned events are allowed.
        if (!string.IsNullOrEmpty(options.Secret) && !SignatureMatches(request.Headers[SignatureHeader].ToString(), KeyOf(options), body))
        {
            await Problems.Create(
                StatusCodes.Status403Forbidden,
                "Bad signature",
                $"The {SignatureHeader} header is missing or does not match the body.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        WrpMessage message;
        try
        {
            message = isMsgPack ? WrpMsgPack.Decode(body, DecodeOptions(options.MaxBodyBytes), out _) : WrpJson.Decode(body);
            WrpValidator.Validate(message);
        }
        catch (WrpFormatException ex)
        {
            await Problems.Invalid("The body is not a WRP message: " + ex.Message, null, "wrp").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        catch (WrpValidationException ex)
        {
            await Problems.Invalid("The WRP message is invalid: " + ex.Message, ex.Field, ex.Rule).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var result = router.Route(message, options.DefaultPartnerIds as IReadOnlyList<string>);
        LogRouted(logger, message.TransactionUuid, result.Enqueued);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    /// <summary>The HMAC key of the options' secret, encoded once per options instance.</summary>
    private byte[] KeyOf(MimisbrunnrEventsOptions options)
    {
        var cached = _key;
        if (cached is null || !ReferenceEquals(cached.Options, options))
        {
            cached = new SecretKey(options, Encoding.UTF8.GetBytes(options.Secret!));
            _key = cached;
        }

        return cached.Bytes;
    }

    private sealed record SecretKey(MimisbrunnrEventsOptions Options, byte[] Bytes);

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
    internal static bool SignatureMatches(string header, string secret, ReadOnlySpan<byte> body) =>
        SignatureMatches(header, Encoding.UTF8.GetBytes(secret), body);

    /// <summary>
    /// Compares <c>sha1=&lt;hex&gt;</c> with the HMAC of the body (keyed with <paramref name="key"/>) in constant time.
    /// Each thread keeps one keyed HMAC for the last key array it saw: a one-shot HMAC sets up the native context and
    /// the key on every call, about twice the time of a reused one for a body of a few hundred bytes.
    /// </summary>
    internal static bool SignatureMatches(string header, byte[] key, ReadOnlySpan<byte> body)
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
        var hmac = _threadHmac;
        if (hmac is null || !ReferenceEquals(_threadHmacKey, key))
        {
            hmac?.Dispose();
            hmac = new HMACSHA1(key);
            _threadHmac = hmac;
            _threadHmacKey = key;
        }

        if (!hmac.TryComputeHash(body, expected, out _))
        {
            throw new CryptographicException("HMAC-SHA1 did not fit its buffer.");
        }

        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    [ThreadStatic]
    private static HMACSHA1? _threadHmac;

    [ThreadStatic]
    private static byte[]? _threadHmacKey;

    [LoggerMessage(EventId = EventIds.EventRouted, Level = LogLevel.Debug, Message = "Event {TransactionUuid} routed to {Enqueued} norn buffer(s)")]
    private static partial void LogRouted(ILogger logger, string transactionUuid, int enqueued);
}
