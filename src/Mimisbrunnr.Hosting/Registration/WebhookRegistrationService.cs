using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// Registers this host's <c>/events</c> endpoint with Caduceus at start and then every interval (registrations
/// expire), retrying failures with a doubling backoff. Only 200 counts as success.
/// </summary>
internal sealed partial class WebhookRegistrationService : BackgroundService
{
    internal const string HttpClientName = "Mimisbrunnr.Registration";

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly IOptions<WebhookRegistrationOptions> _options;
    private readonly IOptionsMonitor<MimisbrunnrEventsOptions> _events;
    private readonly WebhookTokenSource _tokens;
    private readonly WebhookRegistrationState _state;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookRegistrationService> _logger;
    private readonly RegistrationWakeSignal _wake;

    public WebhookRegistrationService(
        IHttpClientFactory httpClientFactory,
        IOptions<WebhookRegistrationOptions> options,
        IOptionsMonitor<MimisbrunnrEventsOptions> events,
        WebhookTokenSource tokens,
        WebhookRegistrationState state,
        TimeProvider time,
        ILogger<WebhookRegistrationService> logger,
        RegistrationWakeSignal wake)
    {
        _wake = wake;
        _httpClientFactory = httpClientFactory;
        _options = options;
        _events = events;
        _tokens = tokens;
        _state = state;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = _options.Value;
        _state.Started(_time.GetUtcNow(), options.Interval);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                await RegisterOnceAsync(stoppingToken).ConfigureAwait(false);
                _state.Succeeded(_time.GetUtcNow());
                failures = 0;
                delay = options.Interval;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                _state.Failed(ex.Message);
                var backoff = options.RetryBaseDelay * Math.Pow(2, Math.Min(failures - 1, 16));
                delay = backoff < options.Interval ? backoff : options.Interval;
                LogFailed(_logger, failures, delay.TotalSeconds, ex.Message);
            }

            try
            {
                await _wake.WaitAsync(delay, _time, stoppingToken).ConfigureAwait(false); // woken by a Caduceus cut-off notice
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends one registration; throws when the answer is not 200.</summary>
    internal async Task RegisterOnceAsync(CancellationToken cancellationToken)
    {
        var options = _options.Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, options.RegistrationUrl)
        {
            Content = new ByteArrayContent(BuildBody(options, _events.CurrentValue.Secret)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var token = await _tokens.GetAuthorizationAsync(cancellationToken).ConfigureAwait(false);
        if (token is not null)
        {
            request.Headers.Authorization = token;
        }

        if (options.PartnerIds.Count > 0)
        {
            request.Headers.TryAddWithoutValidation("X-Xmidt-Partner-Ids", string.Join(',', options.PartnerIds));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        var client = _httpClientFactory.CreateClient(HttpClientName);
        using var response = await client.SendAsync(request, timeout.Token).ConfigureAwait(false);
        if (response.StatusCode != System.Net.HttpStatusCode.OK)
        {
            var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            throw new HttpRequestException(
                $"registration answered {(int)response.StatusCode}: {Truncate(text, 300)}", null, response.StatusCode);
        }

        LogRegistered(_logger, options.RegistrationUrl!, options.PublicUrl!);
    }

    /// <summary>The v1 registration body (PROTOCOL.md §1).</summary>
    internal static byte[] BuildBody(WebhookRegistrationOptions options, string? secret)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("config");
            json.WriteString("url", options.PublicUrl!.AbsoluteUri);
            json.WriteString("content_type", "wrp");
            if (!string.IsNullOrEmpty(secret))
            {
                json.WriteString("secret", secret);
            }

            json.WriteStartArray("alt_urls");
            foreach (var url in options.AltUrls)
            {
                json.WriteStringValue(url);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            if (options.FailureUrl is not null)
            {
                json.WriteString("failure_url", options.FailureUrl.AbsoluteUri);
            }

            json.WriteStartArray("events");
            foreach (var pattern in options.Events.Count > 0 ? options.Events : [".*"])
            {
                json.WriteStringValue(pattern);
            }

            json.WriteEndArray();
            json.WriteStartObject("matcher");
            json.WriteStartArray("device_id");
            foreach (var pattern in options.DeviceMatchers.Count > 0 ? options.DeviceMatchers : [".*"])
            {
                json.WriteStringValue(pattern);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteString("duration", ((long)options.Duration.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s");
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    [LoggerMessage(EventId = EventIds.WebhookRegistered, Level = LogLevel.Information, Message = "Registered {PublicUrl} with {RegistrationUrl}")]
    private static partial void LogRegistered(ILogger logger, Uri registrationUrl, Uri publicUrl);

    [LoggerMessage(EventId = EventIds.WebhookRegistrationFailed, Level = LogLevel.Warning, Message = "Webhook registration failed ({Failures} in a row), retrying in {DelaySeconds} s: {Reason}")]
    private static partial void LogFailed(ILogger logger, int failures, double delaySeconds, string reason);
}

/// <summary>What the registration health check reads.</summary>
internal sealed class WebhookRegistrationState
{
    private readonly Lock _gate = new();

    public DateTimeOffset? StartedAt { get; private set; }

    public TimeSpan Interval { get; private set; }

    public DateTimeOffset? LastSuccess { get; private set; }

    public string? LastError { get; private set; }

    public void Started(DateTimeOffset now, TimeSpan interval)
    {
        lock (_gate)
        {
            StartedAt = now;
            Interval = interval;
        }
    }

    public void Succeeded(DateTimeOffset now)
    {
        lock (_gate)
        {
            LastSuccess = now;
            LastError = null;
        }
    }

    public void Failed(string error)
    {
        lock (_gate)
        {
            LastError = error;
        }
    }
}

/// <summary>
/// The Authorization header for registrations: a bearer token fetched from the auth URL and cached until shortly
/// before it expires, or Basic credentials.
/// </summary>
internal sealed class WebhookTokenSource
{
    internal const string HttpClientName = "Mimisbrunnr.Registration.Auth";

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly IOptions<WebhookRegistrationOptions> _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _refreshAt;

    public WebhookTokenSource(IHttpClientFactory httpClientFactory, IOptions<WebhookRegistrationOptions> options, TimeProvider time)
    {
        _httpClientFactory = httpClientFactory;
        _options = options;
        _time = time;
    }

    public async ValueTask<AuthenticationHeaderValue?> GetAuthorizationAsync(CancellationToken cancellationToken)
    {
        var options = _options.Value;
        if (options.Jwt.AuthUrl is null)
        {
            return string.IsNullOrEmpty(options.Basic) ? null : Basic(options.Basic);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_token is null || _time.GetUtcNow() >= _refreshAt)
            {
                await FetchAsync(options, cancellationToken).ConfigureAwait(false);
            }

            return new AuthenticationHeaderValue("Bearer", _token);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task FetchAsync(WebhookRegistrationOptions options, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, options.Jwt.AuthUrl);
        if (!string.IsNullOrEmpty(options.Jwt.Basic))
        {
            request.Headers.Authorization = Basic(options.Jwt.Basic);
        }

        var client = _httpClientFactory.CreateClient(HttpClientName);
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"the auth URL answered {(int)response.StatusCode}", null, response.StatusCode);
        }

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (!root.TryGetProperty("serviceAccessToken", out var token) || token.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(token.GetString()))
        {
            throw new HttpRequestException("the auth URL's answer has no serviceAccessToken");
        }

        var lifetime = root.TryGetProperty("expires_in", out var expires) && expires.TryGetInt64(out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromMinutes(5);
        _token = token.GetString();
        var refreshIn = lifetime - options.Jwt.RefreshBeforeExpiry;
        _refreshAt = _time.GetUtcNow() + (refreshIn > TimeSpan.Zero ? refreshIn : lifetime / 2);
    }

    private static AuthenticationHeaderValue Basic(string userColonPassword) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userColonPassword)));
}
