using Microsoft.Extensions.Logging;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Delivery;

/// <summary>
/// POSTs the cut-off failure message (see PROTOCOL.md §3) to the norn's <see cref="HttpDestination.FailureUrl"/> (or
/// <see cref="SqsDestination.FailureUrl"/>, signed with <see cref="SqsDestination.Secret"/>), once,
/// without retry, ignoring the answer: <c>Content-Type: application/json</c>, and when the norn has a secret
/// <see cref="DeliveryHeaders.WebpaSignature"/> over the JSON bytes (plus the Standard Webhooks headers, as on
/// deliveries). The body holds Caduceus's text, the norn without its secret (<see cref="NornResponse"/>),
/// <c>cut_off_period</c> as a Go duration, <c>queue_size</c> and <c>worker_count</c>.
/// </summary>
/// <remarks>Sent through the <see cref="DeliveryHttpClient.Name"/> client, so the failure URL gets the same SSRF checks.</remarks>
internal sealed partial class HttpCutOffNotifier : INornCutOffNotifier
{
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly INornSecretProtector _secrets;

    /// <summary>Creates the notifier.</summary>
    /// <param name="httpClientFactory">Provides the <see cref="DeliveryHttpClient.Name"/> client.</param>
    /// <param name="timeProvider">The clock for the webhook timestamp.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="secretProtector">Reveals the norns' stored secrets; <see langword="null"/>: <see cref="NornSecretProtector.None"/>.</param>
    public HttpCutOffNotifier(
        IHttpClientFactory httpClientFactory,
        TimeProvider timeProvider,
        ILogger<HttpCutOffNotifier> logger,
        INornSecretProtector? secretProtector = null)
    {
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _httpClientFactory = httpClientFactory;
        _timeProvider = timeProvider;
        _logger = logger;
        _secrets = secretProtector ?? NornSecretProtector.None;
    }

    /// <inheritdoc />
    public async ValueTask NotifyAsync(Norn norn, CutOffNotice notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(norn);
        ArgumentNullException.ThrowIfNull(notice);
        var destination = norn.Destination;
        var (failureUrl, storedSecret, field) = destination.Http is { } http
            ? (http.FailureUrl, http.Secret, NornSecrets.HttpSecret)
            : (destination.Sqs?.FailureUrl, destination.Sqs?.Secret, NornSecrets.SqsSecret);
        if (string.IsNullOrEmpty(failureUrl))
        {
            return;
        }

        if (!NornSecrets.TryReveal(_secrets, norn.Id, field, storedSecret, out var secret))
        {
            // Never send unsigned what the owner expects signed.
            Log.SecretUnreadable(_logger, norn.Id, field);
            return;
        }

        if (!Uri.TryCreate(failureUrl, UriKind.Absolute, out var url))
        {
            Log.InvalidFailureUrl(_logger, norn.Id);
            return;
        }

        var body = CutOffMessage.Serialize(norn, notice);
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Content = content;
        DeliverySignatures.SignNotice(request, body, secret, _timeProvider.GetUtcNow());

        var client = _httpClientFactory.CreateClient(DeliveryHttpClient.Name);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        Log.NoticeSent(_logger, norn.Id, (int)response.StatusCode);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.CutOffNoticeInvalidUrl, LogLevel.Warning, "Norn {NornId} has an invalid failure URL; no cut-off notice is sent.")]
        public static partial void InvalidFailureUrl(ILogger logger, string nornId);

        [LoggerMessage(EventIds.CutOffNoticeSent, LogLevel.Information, "Sent the cut-off notice of norn {NornId}; the failure URL answered {Status}.")]
        public static partial void NoticeSent(ILogger logger, string nornId, int status);

        [LoggerMessage(EventIds.CutOffNoticeSecretUnreadable, LogLevel.Error,
            "The {Field} of norn {NornId} cannot be decrypted with the configured Mimisbrunnr:SecretKeys; no cut-off notice is sent.")]
        public static partial void SecretUnreadable(ILogger logger, string nornId, string field);
    }
}
