using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Mimisbrunnr.Argus;

/// <summary>
/// The Authorization header of Argus requests: a bearer token from the XMiDT auth URL (answering
/// <c>{"serviceAccessToken", "expires_in"}</c>), cached until shortly before it expires, or Basic credentials, or none.
/// </summary>
/// <remarks>
/// The same token source as Caduceus registration uses in Mimisbrunnr.Hosting, kept here so that this package needs no
/// ASP.NET Core; the two can become one shared type in Core.
/// </remarks>
internal sealed class ArgusCredentials : IDisposable
{
    private static readonly TimeSpan RefreshBeforeExpiry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(5);

    private readonly HttpClient _http;
    private readonly ArgusStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly AuthenticationHeaderValue? _basic;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AuthenticationHeaderValue? _bearer;
    private DateTimeOffset _refreshAt;

    public ArgusCredentials(HttpClient http, ArgusStoreOptions options, TimeProvider time)
    {
        _http = http;
        _options = options;
        _time = time;
        _basic = string.IsNullOrEmpty(options.Basic) ? null : Basic(options.Basic);
    }

    /// <summary>Whether requests carry a bearer token (which a 401 may mean has expired early).</summary>
    public bool UsesBearer => _options.Jwt.AuthUrl is not null;

    /// <summary>The header for the next request, or <see langword="null"/> when Argus is used without credentials.</summary>
    /// <exception cref="ArgusStoreException">The auth URL refused the credentials (a configuration error).</exception>
    /// <exception cref="HttpRequestException">The auth URL could not be reached or failed (transient).</exception>
    public async ValueTask<AuthenticationHeaderValue?> GetAsync(CancellationToken cancellationToken)
    {
        if (!UsesBearer)
        {
            return _basic;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_bearer is null || _time.GetUtcNow() >= _refreshAt)
            {
                await FetchAsync(cancellationToken).ConfigureAwait(false);
            }

            return _bearer;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the cached token, so that the next request fetches a new one (after Argus answered 401).</summary>
    public void Invalidate() => Volatile.Write(ref _bearer, null);

    public void Dispose() => _gate.Dispose();

    private async Task FetchAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _options.Jwt.AuthUrl);
        if (!string.IsNullOrEmpty(_options.Jwt.Basic))
        {
            request.Headers.Authorization = Basic(_options.Jwt.Basic);
        }

        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var response = await _http.SendAsync(request, linked.Token).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new ArgusStoreException(
                $"The Argus token source (Mimisbrunnr:Argus:Jwt:AuthUrl) refused the credentials of Mimisbrunnr:Argus:Jwt:Basic: {status}.",
                status,
                reason: null,
                isConfigurationError: true);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"the Argus token source answered {status}", null, response.StatusCode);
        }

        var body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
        string? token;
        TimeSpan lifetime;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            token = root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("serviceAccessToken", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
            lifetime = root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("expires_in", out var expires) && expires.TryGetInt64(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(365).TotalSeconds))
                : DefaultLifetime;
        }
        catch (JsonException)
        {
            token = null;
            lifetime = DefaultLifetime;
        }

        if (string.IsNullOrEmpty(token))
        {
            throw new ArgusStoreException(
                "The Argus token source (Mimisbrunnr:Argus:Jwt:AuthUrl) answered without a serviceAccessToken.",
                status,
                reason: null,
                isConfigurationError: true);
        }

        var refreshIn = lifetime - RefreshBeforeExpiry;
        _refreshAt = _time.GetUtcNow() + (refreshIn > TimeSpan.Zero ? refreshIn : lifetime / 2);
        Volatile.Write(ref _bearer, new AuthenticationHeaderValue("Bearer", token));
    }

    private static AuthenticationHeaderValue Basic(string userColonPassword) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userColonPassword)));
}
