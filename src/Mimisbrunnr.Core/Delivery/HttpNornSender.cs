using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Mimisbrunnr.Delivery;

/// <summary>
/// Delivers events to HTTP webhooks: one <c>POST</c> per event through the <see cref="HttpClientName"/> client (whose
/// handler re-checks every resolved address against the SSRF rules), with Caduceus's headers, signatures when the norn
/// has a secret, and retries with Polly.
/// </summary>
/// <remarks>
/// <para>
/// Body by <see cref="HttpDestination.ContentType"/>: WRP JSON, WRP msgpack, or the payload alone with the WRP
/// message's content type (<c>application/octet-stream</c> when it has none). Encoded bodies are cached per event and
/// shared by every norn of the device.
/// </para>
/// <para>
/// Headers: <see cref="DeliveryHeaders.Event"/>, <see cref="DeliveryHeaders.TransactionId"/>,
/// <see cref="DeliveryHeaders.DeviceId"/>, <see cref="DeliveryHeaders.Source"/>, <see cref="DeliveryHeaders.Destination"/>,
/// <see cref="DeliveryHeaders.MessageType"/>, and Standard Webhooks' <see cref="DeliveryHeaders.WebhookId"/> and
/// <see cref="DeliveryHeaders.WebhookTimestamp"/> (useful for de-duplication even unsigned). With a secret:
/// <see cref="DeliveryHeaders.WebpaSignature"/>, <see cref="DeliveryHeaders.CodexSignature"/> and
/// <see cref="DeliveryHeaders.WebhookSignature"/> (see <see cref="DeliverySignatures"/>). The webhook id is
/// <c>msg_</c> + 32 hex digits of SHA-256(norn id, transaction id) — the same for every retry, and for a redelivery of
/// the same event to the same norn — or random per delivery when the event has no transaction id. W3C
/// <c>traceparent</c> comes from the current activity (the dispatcher's delivery span).
/// </para>
/// <para>
/// Retries (<see cref="DeliveryOptions.Retries"/> after the first attempt, exponential backoff with jitter from
/// <see cref="DeliveryOptions.RetryBaseDelay"/>): transport errors, attempt timeouts
/// (<see cref="DeliveryOptions.Timeout"/>), 408, 429, 500, 502, 503 and 504; <c>Retry-After</c> (seconds or a date) is
/// honoured on 429 and 503, capped by <see cref="DeliveryOptions.MaxRetryAfter"/>, which also caps the backoff. Other
/// statuses are final; 410 Gone reports <see cref="DeliveryStatus.Gone"/>, and the dispatcher removes the norn. A
/// destination refused at connect time is never retried.
/// </para>
/// <para>
/// Each try is reported to the send's <see cref="IDeliveryAttemptObserver"/> (start, duration, try number, status code
/// or error kind from <see cref="DeliveryErrorKinds"/>, transaction id) and traced as a <c>mimisbrunnr.deliver.attempt</c>
/// client span under the dispatcher's delivery span; the <c>traceparent</c> a destination receives names that span.
/// </para>
/// </remarks>
internal sealed partial class HttpNornSender : INornDestinationSender
{
    /// <summary>The name of the <see cref="IHttpClientFactory"/> client used for deliveries and cut-off notices.</summary>
    public const string HttpClientName = DeliveryHttpClient.Name;

    /// <summary>How long one client from the factory is reused before the next is asked for.</summary>
    private static readonly TimeSpan ClientReuse = TimeSpan.FromSeconds(10);

    private const string WebhookIdPrefix = "msg_";

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly IOptionsMonitor<MimisbrunnrOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly INornSecretProtector _secrets;

    // The parsed destination URL of each norn version that sends (weak: it goes with the norn's destination).
    private readonly ConditionalWeakTable<HttpDestination, Uri> _urls = new();
    private PipelineForOptions? _pipeline;
    private ClientForPeriod? _client;

    /// <summary>Creates the sender.</summary>
    /// <param name="httpClientFactory">Provides the <see cref="HttpClientName"/> client.</param>
    /// <param name="options">The engine options (<see cref="MimisbrunnrOptions.Delivery"/>).</param>
    /// <param name="timeProvider">The clock for backoff delays, timeouts and webhook timestamps.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="secretProtector">Reveals the norns' stored secrets; <see langword="null"/>: <see cref="NornSecretProtector.None"/>.</param>
    public HttpNornSender(
        IHttpClientFactory httpClientFactory,
        IOptionsMonitor<MimisbrunnrOptions> options,
        TimeProvider timeProvider,
        ILogger<HttpNornSender> logger,
        INornSecretProtector? secretProtector = null)
    {
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _httpClientFactory = httpClientFactory;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _secrets = secretProtector ?? NornSecretProtector.None;
    }

    /// <inheritdoc />
    public string Kind => DestinationKinds.Http;

    /// <inheritdoc />
    /// <remarks>HTTP sends one event per request.</remarks>
    public int MaxBatchSize => 1;

    /// <inheritdoc />
    public ValueTask<DeliveryOutcome> SendAsync(Norn norn, IReadOnlyList<RoutedEvent> batch, CancellationToken cancellationToken) =>
        SendAsync(norn, batch, DeliveryAttemptObservers.None, cancellationToken);

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<DeliveryOutcome> SendAsync(
        Norn norn, IReadOnlyList<RoutedEvent> batch, IDeliveryAttemptObserver attempts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(norn);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(attempts);
        var http = norn.Destination.Http;
        if (http is null || !TryGetUrl(http, out var url))
        {
            Log.NotAnHttpNorn(_logger, norn.Id);
            return DeliveryOutcome.Failed(Math.Max(1, batch.Count));
        }

        // An active norn's dispatcher keeps its signer (revealed secret, keyed HMACs) between sends.
        var tracker = attempts as NornDeliveryTracker;
        var signer = tracker is not null && !string.IsNullOrEmpty(http.Secret) ? NornSigner.Take(ref tracker.SenderState, http) : null;
        var secret = signer?.Secret;
        if (signer is null)
        {
            if (!NornSecrets.TryReveal(_secrets, norn.Id, NornSecrets.HttpSecret, http.Secret, out secret))
            {
                // Never send unsigned what the consumer expects signed.
                Log.SecretUnreadable(_logger, norn.Id);
                return DeliveryOutcome.Failed(Math.Max(1, batch.Count));
            }

            signer = tracker is not null && !string.IsNullOrEmpty(secret) ? NornSigner.Create(http, secret) : null;
        }

        try
        {
            var delivery = _options.CurrentValue.Delivery;
            var pipeline = GetPipeline(delivery);
            var client = GetClient();
            var failed = 0;
            for (var i = 0; i < batch.Count; i++) // not foreach: no enumerator per send
            {
                var routedEvent = batch[i];
                var status = await DeliverAsync(pipeline, delivery, client, norn.Id, http.ContentType, secret, signer, url, routedEvent, attempts, cancellationToken)
                    .ConfigureAwait(false);
                if (status == DeliveryStatus.Gone)
                {
                    return DeliveryOutcome.Gone;
                }

                if (status == DeliveryStatus.Failed)
                {
                    failed++;
                }
            }

            return failed == 0 ? DeliveryOutcome.Delivered
                : failed == batch.Count ? DeliveryOutcome.Failed(failed)
                : DeliveryOutcome.Partial(failed);
        }
        finally
        {
            if (signer is not null)
            {
                NornSigner.Return(ref tracker!.SenderState, signer);
            }
        }
    }

    /// <summary>The <see cref="DeliveryHeaders.WebhookId"/> of one event delivered to one norn.</summary>
    internal static string CreateWebhookId(string nornId, string transactionUuid)
    {
        if (string.IsNullOrEmpty(transactionUuid))
        {
            return WebhookIdPrefix + Guid.NewGuid().ToString("N");
        }

        // SHA-256 of "{norn id}\n{transaction id}" in UTF-8, encoded into a stack or pooled buffer.
        var maxBytes = Encoding.UTF8.GetMaxByteCount(nornId.Length + 1 + transactionUuid.Length);
        byte[]? rented = null;
        var input = maxBytes <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        var length = Encoding.UTF8.GetBytes(nornId, input);
        input[length++] = (byte)'\n';
        length += Encoding.UTF8.GetBytes(transactionUuid, input[length..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var sha256 = _threadSha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256); // reused: no native set-up per id
        sha256.AppendData(input[..length]);
        sha256.GetHashAndReset(hash);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return string.Create(WebhookIdPrefix.Length + 32, (ReadOnlySpan<byte>)hash[..16], static (chars, digest) =>
        {
            WebhookIdPrefix.CopyTo(chars);
            Convert.TryToHexStringLower(digest, chars[WebhookIdPrefix.Length..], out _);
        });
    }

    [ThreadStatic]
    private static IncrementalHash? _threadSha256;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<HttpResponseMessage> SendAttemptAsync(Attempt attempt, CancellationToken cancellationToken)
    {
        // Tries run one after the other (the retry strategy awaits each), so the count needs no synchronisation.
        var number = ++attempt.Tries;
        var time = attempt.TimeProvider;
        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        using var activity = StartAttemptActivity(number);
        try
        {
            using var request = CreateRequest(attempt);
            var response = await attempt.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var succeeded = status is >= 200 and < 300;
            Report(attempt, number, startedAt, time.GetElapsedTime(started), succeeded, status, null);
            if (activity is not null)
            {
                activity.SetTag("http.response.status_code", status);
                if (!succeeded)
                {
                    activity.SetTag("error.type", status.ToString(CultureInfo.InvariantCulture));
                    activity.SetStatus(ActivityStatusCode.Error);
                }
            }

            return response;
        }
        catch (Exception ex)
        {
            var kind = ErrorKind(ex, attempt.Cancellation);
            Report(attempt, number, startedAt, time.GetElapsedTime(started), false, null, kind);
            activity?.SetTag("error.type", kind);
            activity?.SetStatus(ActivityStatusCode.Error);
            throw;
        }
    }

    private static Activity? StartAttemptActivity(int number)
    {
        var source = MimisbrunnrActivitySource.Instance;
        if (!source.HasListeners())
        {
            return null;
        }

        var activity = source.StartActivity("mimisbrunnr.deliver.attempt", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("http.request.method", "POST");
            activity.SetTag("mimisbrunnr.attempt", number);
        }

        return activity;
    }

    private static void Report(Attempt attempt, int number, DateTimeOffset startedAt, TimeSpan duration, bool succeeded, int? status, string? error) =>
        attempt.Observer.OnAttempt(new DeliveryAttempt
        {
            StartedAt = startedAt,
            Duration = duration,
            Number = number,
            Succeeded = succeeded,
            StatusCode = status,
            Error = error,
            TransactionId = attempt.Event.Message.TransactionUuid,
            Events = 1,
        });

    /// <summary>A short, secret-free name for why a try failed without an answer.</summary>
    private static string ErrorKind(Exception ex, CancellationToken delivery) => ex switch
    {
        OperationCanceledException when delivery.IsCancellationRequested => DeliveryErrorKinds.Cancelled,
        OperationCanceledException or TimeoutRejectedException or TimeoutException => DeliveryErrorKinds.Timeout, // the per-try timeout
        HttpRequestException http when IsRefused(http) => DeliveryErrorKinds.Refused,
        HttpRequestException http => http.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => DeliveryErrorKinds.NameResolution,
            HttpRequestError.ConnectionError => DeliveryErrorKinds.Connection,
            HttpRequestError.SecureConnectionError => DeliveryErrorKinds.Tls,
            HttpRequestError.HttpProtocolError or HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse
                or HttpRequestError.VersionNegotiationError or HttpRequestError.ConfigurationLimitExceeded => DeliveryErrorKinds.Protocol,
            _ => DeliveryErrorKinds.Connection,
        },
        _ => DeliveryErrorKinds.Other,
    };

    private static HttpRequestMessage CreateRequest(Attempt attempt)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, attempt.Url);
        var content = new ReadOnlyMemoryContent(attempt.Body);
        content.Headers.TryAddWithoutValidation("Content-Type", attempt.MediaType);
        request.Content = content;
        var headers = request.Headers;
        var routedEvent = attempt.Event;
        var message = routedEvent.Message;
        AddHeader(headers, DeliveryHeaders.Event, routedEvent.EventType);
        AddHeader(headers, DeliveryHeaders.TransactionId, message.TransactionUuid);
        AddHeader(headers, DeliveryHeaders.DeviceId, routedEvent.DeviceId.Value);
        AddHeader(headers, DeliveryHeaders.Source, message.Source);
        AddHeader(headers, DeliveryHeaders.Destination, message.Destination);
        AddHeader(headers, DeliveryHeaders.MessageType, DeliveryBody.FriendlyName(message.Type));

        var timestamp = attempt.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        headers.TryAddWithoutValidation(DeliveryHeaders.WebhookId, attempt.WebhookId);
        headers.TryAddWithoutValidation(DeliveryHeaders.WebhookTimestamp, TimestampText.Of(timestamp));
        if (attempt.Secret is { Length: > 0 } secret)
        {
            headers.TryAddWithoutValidation(DeliveryHeaders.WebpaSignature, attempt.WebpaSignature);
            headers.TryAddWithoutValidation(DeliveryHeaders.CodexSignature, attempt.WebpaSignature);
            headers.TryAddWithoutValidation(
                DeliveryHeaders.WebhookSignature,
                attempt.Signer is { } signer
                    ? signer.StandardWebhooksSignature(attempt.WebhookId, timestamp, attempt.Body.Span)
                    : DeliverySignatures.ComputeStandardWebhooksSignature(secret, attempt.WebhookId, timestamp, attempt.Body.Span));
        }

        return request;
    }

    private static void AddHeader(HttpRequestHeaders headers, string name, string value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            headers.TryAddWithoutValidation(name, DeliveryBody.HeaderValue(value));
        }
    }

    private static bool IsRetryable(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        null => outcome.Result is { } response && IsRetryableStatus(response.StatusCode),
        TimeoutRejectedException => true,
        HttpRequestException ex => !IsRefused(ex),
        _ => false,
    };

    private static bool IsRetryableStatus(HttpStatusCode status) => (int)status is 408 or 429 or 500 or 502 or 503 or 504;

    private static bool IsRefused(Exception ex)
    {
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is DestinationRefusedException)
            {
                return true;
            }
        }

        return false;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan max, TimeProvider timeProvider)
    {
        if (response is null || response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
            || response.Headers.RetryAfter is not { } retryAfter)
        {
            return null; // the exponential backoff decides
        }

        var wait = retryAfter.Delta
            ?? (retryAfter.Date is { } date ? date - timeProvider.GetUtcNow() : (TimeSpan?)null);
        if (wait is not { } delay)
        {
            return null;
        }

        return delay <= TimeSpan.Zero ? TimeSpan.Zero : delay > max ? max : delay;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<DeliveryStatus> DeliverAsync(
        ResiliencePipeline<HttpResponseMessage> pipeline,
        DeliveryOptions delivery,
        HttpClient client,
        string nornId,
        string contentType,
        string? secret,
        NornSigner? signer,
        Uri url,
        RoutedEvent routedEvent,
        IDeliveryAttemptObserver observer,
        CancellationToken cancellationToken)
    {
        var body = DeliveryBody.For(contentType, routedEvent, out var mediaType);
        var attempt = new Attempt(client, url, body, mediaType, secret, signer, CreateWebhookId(nornId, routedEvent.Message.TransactionUuid), routedEvent, _timeProvider)
        {
            Observer = observer,
            Cancellation = cancellationToken,
        };
        try
        {
            using var response = await SendWithRetriesAsync(pipeline, delivery, attempt, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return DeliveryStatus.Delivered;
            }

            if (response.StatusCode == HttpStatusCode.Gone)
            {
                return DeliveryStatus.Gone;
            }

            Log.DeliveryRejected(_logger, nornId, status);
            return DeliveryStatus.Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (HttpRequestException ex) when (IsRefused(ex))
        {
            Log.DestinationRefused(_logger, nornId, ex.Message);
            return DeliveryStatus.Failed;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or OperationCanceledException)
        {
            Log.DeliveryError(_logger, ex, nornId);
            return DeliveryStatus.Failed;
        }
    }

    /// <summary>
    /// The tries of one delivery. The first runs outside the resilience pipeline, under the same per-try timeout, so a
    /// delivery that succeeds at once (the common case) pays none of the pipeline's machinery. An outcome the retry
    /// strategy would retry goes into the pipeline as the outcome of its first try (nothing is sent again for it), and
    /// the pipeline goes on as it would have: backoff or Retry-After, further tries, each under the timeout strategy.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<HttpResponseMessage> SendWithRetriesAsync(
        ResiliencePipeline<HttpResponseMessage> pipeline, DeliveryOptions delivery, Attempt attempt, CancellationToken cancellationToken)
    {
        HttpResponseMessage? response = null;
        Exception? failure = null;
        var timeout = TimeoutSources.Rent(_timeProvider, delivery.Timeout);
        var registration = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timeout);
        try
        {
            response = await SendAttemptAsync(attempt, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // As the pipeline's timeout strategy reports a try that ran out of time.
            failure = new TimeoutRejectedException("The delivery attempt timed out.", delivery.Timeout);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            failure = ex;
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
            TimeoutSources.Return(timeout);
        }

        var outcome = failure is null ? Outcome.FromResult(response) : Outcome.FromException<HttpResponseMessage>(failure);
        if (delivery.Retries > 0 && IsRetryable(outcome))
        {
            attempt.FirstOutcome = outcome;
            return await pipeline.ExecuteAsync(
                static (state, ct) => state.TakeFirstOutcome(out var first)
                    ? first.Exception is { } ex ? ValueTask.FromException<HttpResponseMessage>(ex) : ValueTask.FromResult(first.Result!)
                    : SendAttemptAsync(state, ct),
                attempt,
                cancellationToken).ConfigureAwait(false);
        }

        outcome.ThrowIfException();
        return response!;
    }

    private ResiliencePipeline<HttpResponseMessage> GetPipeline(DeliveryOptions delivery)
    {
        var cached = Volatile.Read(ref _pipeline);
        if (cached is not null && ReferenceEquals(cached.Options, delivery))
        {
            return cached.Pipeline;
        }

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>
        {
            Name = HttpClientName,
            TimeProvider = _timeProvider,
        };
        if (delivery.Retries > 0)
        {
            var maxRetryAfter = delivery.MaxRetryAfter;
            var timeProvider = _timeProvider;
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = static args => ValueTask.FromResult(IsRetryable(args.Outcome)),
                MaxRetryAttempts = delivery.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = delivery.RetryBaseDelay,
                MaxDelay = maxRetryAfter > TimeSpan.Zero && maxRetryAfter > delivery.RetryBaseDelay ? maxRetryAfter : null,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, maxRetryAfter, timeProvider)),
            });
        }

        builder.AddTimeout(delivery.Timeout); // per attempt: inside the retry
        var pipeline = builder.Build();
        Volatile.Write(ref _pipeline, new PipelineForOptions(delivery, pipeline));
        return pipeline;
    }

    /// <summary>
    /// One client from the factory, reused for <see cref="ClientReuse"/>: creating one per send costs an allocation
    /// and the factory's lookups, while the handler rotation the factory exists for (DNS changes) works at the
    /// granularity of minutes.
    /// </summary>
    private HttpClient GetClient()
    {
        var now = _timeProvider.GetTimestamp();
        var cached = Volatile.Read(ref _client);
        if (cached is not null && _timeProvider.GetElapsedTime(cached.CreatedAt, now) < ClientReuse)
        {
            return cached.Client;
        }

        var client = _httpClientFactory.CreateClient(HttpClientName);
        Volatile.Write(ref _client, new ClientForPeriod(client, now));
        return client;
    }

    /// <summary>The parsed URL of a destination, parsed once per norn version.</summary>
    private bool TryGetUrl(HttpDestination http, [NotNullWhen(true)] out Uri? url)
    {
        if (_urls.TryGetValue(http, out url))
        {
            return true;
        }

        if (!Uri.TryCreate(http.Url, UriKind.Absolute, out url))
        {
            return false;
        }

        _urls.AddOrUpdate(http, url);
        return true;
    }

    private sealed record ClientForPeriod(HttpClient Client, long CreatedAt);

    /// <summary>The text of a Unix timestamp, kept for the second it names (every send of that second shares it).</summary>
    private sealed class TimestampText(long seconds, string text)
    {
        private static TimestampText _last = new(0, "0");

        public static string Of(long seconds)
        {
            var last = Volatile.Read(ref _last);
            if (last.Seconds == seconds)
            {
                return last.Text;
            }

            var next = new TimestampText(seconds, seconds.ToString(CultureInfo.InvariantCulture));
            Volatile.Write(ref _last, next);
            return next.Text;
        }

        private long Seconds { get; } = seconds;

        private string Text { get; } = text;
    }

    private sealed record PipelineForOptions(DeliveryOptions Options, ResiliencePipeline<HttpResponseMessage> Pipeline);

    /// <summary>Everything one delivery needs, shared by its attempts (so the webhook id and body stay the same).</summary>
    private sealed class Attempt(
        HttpClient client,
        Uri url,
        ReadOnlyMemory<byte> body,
        string mediaType,
        string? secret,
        NornSigner? signer,
        string webhookId,
        RoutedEvent routedEvent,
        TimeProvider timeProvider)
    {
        public HttpClient Client { get; } = client;

        public Uri Url { get; } = url;

        public ReadOnlyMemory<byte> Body { get; } = body;

        public string MediaType { get; } = mediaType;

        public string? Secret { get; } = secret;

        /// <summary>The norn's signer for this send, when its dispatcher keeps one (else the one-shot signatures).</summary>
        public NornSigner? Signer { get; } = signer;

        public string WebhookId { get; } = webhookId;

        public RoutedEvent Event { get; } = routedEvent;

        public TimeProvider TimeProvider { get; } = timeProvider;

        public string? WebpaSignature { get; } = string.IsNullOrEmpty(secret) ? null
            : signer is not null ? signer.WebpaSignature(body.Span)
            : DeliverySignatures.ComputeWebpaSignature(secret, body.Span);

        public required IDeliveryAttemptObserver Observer { get; init; }

        /// <summary>The delivery's own token (host stopping, norn deleted), to tell a cancellation from a try's timeout.</summary>
        public required CancellationToken Cancellation { get; init; }

        /// <summary>Tries made so far.</summary>
        public int Tries { get; set; }

        /// <summary>The outcome of the try made before the pipeline, which the pipeline takes as its first.</summary>
        public Outcome<HttpResponseMessage>? FirstOutcome { get; set; }

        public bool TakeFirstOutcome(out Outcome<HttpResponseMessage> outcome)
        {
            if (FirstOutcome is { } first)
            {
                FirstOutcome = null;
                outcome = first;
                return true;
            }

            outcome = default;
            return false;
        }
    }

    /// <summary>
    /// Per-try timeout sources. With the system clock they are reused (a source that did not fire is reset and kept,
    /// one per thread); with another <see cref="TimeProvider"/> (tests) each try gets its own, on that clock.
    /// </summary>
    private static class TimeoutSources
    {
        [ThreadStatic]
        private static CancellationTokenSource? _cached;

        public static CancellationTokenSource Rent(TimeProvider timeProvider, TimeSpan timeout)
        {
            if (!ReferenceEquals(timeProvider, TimeProvider.System))
            {
                return new CancellationTokenSource(timeout, timeProvider);
            }

            var source = _cached;
            _cached = null;
            if (source is null || source.IsCancellationRequested)
            {
                // (A timer that fired while its source was being reset; Polly's own pool has the same window.)
                source?.Dispose();
                source = new CancellationTokenSource();
            }

            source.CancelAfter(timeout);
            return source;
        }

        public static void Return(CancellationTokenSource source)
        {
            if (_cached is null && source.TryReset())
            {
                _cached = source;
                return;
            }

            source.Dispose();
        }
    }
}
