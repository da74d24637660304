using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Sqs;

/// <summary>
/// Tells a norn's owner, at <see cref="SqsDestination.FailureUrl"/>, that its events cannot be delivered for a reason
/// only the owner can fix: the queue does not exist, access is denied, or the host refuses its own credentials for the
/// queue. Like the cut-off notice: one signed POST (when the norn has a <see cref="SqsDestination.Secret"/>), no retry,
/// the answer ignored, within <see cref="DeliveryOptions.Timeout"/>; at most one per norn per
/// <see cref="SqsDestinationOptions.FailureNoticeInterval"/>.
/// </summary>
/// <remarks>
/// Body: <c>{"text": …, "norn": {…}, "error": "queue_does_not_exist" | "access_denied" | "credentials_refused",
/// "code": "&lt;SQS error code&gt;", "dropped": n}</c>, the norn as <c>GET /norns/{id}</c> shows it (no secret). Sent
/// through the <see cref="DeliveryHttpClient.Name"/> client, so the failure URL gets the same SSRF checks.
/// </remarks>
internal sealed partial class SqsFailureNotifier
{
    private const int PruneThreshold = 4096;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly IOptionsMonitor<SqsDestinationOptions> _options;
    private readonly IOptionsMonitor<MimisbrunnrOptions> _engineOptions;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly INornSecretProtector _secrets;
    private readonly ConcurrentDictionary<string, long> _lastNotice = new(StringComparer.Ordinal);

    public SqsFailureNotifier(
        IHttpClientFactory httpClientFactory,
        IOptionsMonitor<SqsDestinationOptions> options,
        IOptionsMonitor<MimisbrunnrOptions> engineOptions,
        TimeProvider timeProvider,
        ILogger<SqsFailureNotifier> logger,
        INornSecretProtector secretProtector)
    {
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engineOptions);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(secretProtector);
        _httpClientFactory = httpClientFactory;
        _options = options;
        _engineOptions = engineOptions;
        _timeProvider = timeProvider;
        _logger = logger;
        _secrets = secretProtector;
    }

    /// <summary>Sends the notice, unless the norn has no failure URL or was told within the interval.</summary>
    /// <returns>Whether a notice was sent (whatever the answer).</returns>
    public async ValueTask<bool> NotifyAsync(Norn norn, string error, string code, int dropped, CancellationToken cancellationToken)
    {
        var sqs = norn.Destination.Sqs;
        if (string.IsNullOrEmpty(sqs?.FailureUrl) || !TryClaim(norn.Id))
        {
            return false;
        }

        if (!Uri.TryCreate(sqs.FailureUrl, UriKind.Absolute, out var url))
        {
            Log.InvalidFailureUrl(_logger, norn.Id);
            return false;
        }

        if (!NornSecrets.TryReveal(_secrets, norn.Id, NornSecrets.SqsSecret, sqs.Secret, out var secret))
        {
            // Never send unsigned what the owner expects signed.
            Log.SecretUnreadable(_logger, norn.Id);
            return false;
        }

        var notice = new SqsFailureMessage(Text(error), NornResponse.From(norn), error, code, dropped);
        var body = JsonSerializer.SerializeToUtf8Bytes(notice, SqsJsonContext.Default.SqsFailureMessage);
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Content = content;
        DeliverySignatures.SignNotice(request, body, secret, _timeProvider.GetUtcNow());

        try
        {
            // Sent while the norn's worker waits: bounded by the delivery timeout, like one delivery attempt.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_engineOptions.CurrentValue.Delivery.Timeout);
            var client = _httpClientFactory.CreateClient(DeliveryHttpClient.Name);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            Log.NoticeSent(_logger, norn.Id, error, (int)response.StatusCode);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Best effort, as the cut-off notice: a failure is logged, never retried.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.NoticeFailed(_logger, ex, norn.Id);
        }

        return true;
    }

    private static string Text(string error) => error switch
    {
        SqsFailureReasons.QueueDoesNotExist =>
            "Mimisbrunnr cannot deliver this norn's events: its SQS queue does not exist. Events are dropped until the queue exists again.",
        SqsFailureReasons.AccessDenied =>
            "Mimisbrunnr cannot deliver this norn's events: SQS denied access to the queue with the norn's credentials. Events are dropped until the credentials or the queue policy allow SendMessage.",
        _ =>
            "Mimisbrunnr cannot deliver this norn's events: this host does not use its own AWS credentials for this queue. Register the norn with an access key.",
    };

    /// <summary>Claims the right to notify a norn now; false when it was notified within the interval.</summary>
    private bool TryClaim(string nornId)
    {
        var now = _timeProvider.GetUtcNow().UtcTicks;
        var interval = _options.CurrentValue.FailureNoticeInterval.Ticks;
        if (_lastNotice.Count > PruneThreshold)
        {
            foreach (var pair in _lastNotice)
            {
                if (now - pair.Value >= interval)
                {
                    _lastNotice.TryRemove(pair);
                }
            }
        }

        while (true)
        {
            if (!_lastNotice.TryGetValue(nornId, out var last))
            {
                if (_lastNotice.TryAdd(nornId, now))
                {
                    return true;
                }

                continue;
            }

            if (now - last < interval)
            {
                return false;
            }

            if (_lastNotice.TryUpdate(nornId, now, last))
            {
                return true;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.SecretUnreadable, LogLevel.Error,
            "The notice secret of norn {NornId} cannot be decrypted with the configured Mimisbrunnr:SecretKeys; no failure notice is sent.")]
        public static partial void SecretUnreadable(ILogger logger, string nornId);

        [LoggerMessage(EventIds.InvalidFailureUrl, LogLevel.Warning, "Norn {NornId} has an invalid failure URL; no failure notice is sent.")]
        public static partial void InvalidFailureUrl(ILogger logger, string nornId);

        [LoggerMessage(EventIds.NoticeSent, LogLevel.Information, "Sent the {Error} notice of norn {NornId}; the failure URL answered {Status}.")]
        public static partial void NoticeSent(ILogger logger, string nornId, string error, int status);

        [LoggerMessage(EventIds.NoticeFailed, LogLevel.Warning, "The failure notice of norn {NornId} could not be sent.")]
        public static partial void NoticeFailed(ILogger logger, Exception exception, string nornId);
    }
}

/// <summary>The <c>error</c> values of an SQS failure notice.</summary>
internal static class SqsFailureReasons
{
    public const string QueueDoesNotExist = "queue_does_not_exist";

    public const string AccessDenied = "access_denied";

    public const string CredentialsRefused = "credentials_refused";
}

/// <summary>The body of an SQS failure notice.</summary>
internal sealed record SqsFailureMessage(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("norn")] NornResponse Norn,
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("dropped")] int Dropped);

/// <summary>Source-generated JSON of the failure notice (camelCase norn, nulls omitted), as the cut-off notice.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SqsFailureMessage))]
internal sealed partial class SqsJsonContext : JsonSerializerContext;
