using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Client;

/// <summary>
/// The <see cref="INornClient"/> over an <see cref="HttpClient"/> whose <see cref="HttpClient.BaseAddress"/> is the
/// Mimisbrunnr server (including any path prefix, for example <c>https://mimisbrunnr.example/api/v1/</c>).
/// </summary>
/// <remarks>
/// <para>
/// With dependency injection use <c>services.AddMimisbrunnrClient(…)</c>, which sets the base address and the
/// credentials. Without it, give the client an <see cref="HttpClient"/> whose handler chain includes a
/// <see cref="MimisbrunnrAuthenticationHandler"/>:
/// <c>new NornClient(new HttpClient(new MimisbrunnrAuthenticationHandler(credentials, new HttpClientHandler())) { BaseAddress = … })</c>.
/// </para>
/// <para>The client holds no state besides the <see cref="HttpClient"/>; it is safe to use from several threads.</para>
/// </remarks>
public sealed class NornClient : INornClient
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };

    private readonly HttpClient _http;
    private readonly Uri _norns;

    /// <summary>Creates the client.</summary>
    /// <param name="httpClient">The HTTP client; its <see cref="HttpClient.BaseAddress"/> must be the server's absolute address.</param>
    /// <exception cref="ArgumentException">The base address is missing or relative.</exception>
    public NornClient(HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        if (httpClient.BaseAddress is not { IsAbsoluteUri: true } baseAddress)
        {
            throw new ArgumentException(
                "HttpClient.BaseAddress must be the absolute address of the Mimisbrunnr server, for example https://mimisbrunnr.example/.",
                nameof(httpClient));
        }

        _http = httpClient;

        // "https://host/api/v1" and "https://host/api/v1/" both mean the prefix /api/v1.
        var root = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        _norns = new Uri(root, "norns");
    }

    /// <inheritdoc />
    public async Task<NornWriteOutcome> CreateOrUpdateAsync(NornRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, _norns) { Content = Json(request) };
        using var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
        {
            var norn = await ReadAsync(response, ClientJsonContext.Default.NornResponse, cancellationToken).ConfigureAwait(false);
            return new NornWriteOutcome(norn, response.StatusCode == HttpStatusCode.Created);
        }

        throw await ApiErrors.FromResponseAsync(response, TimeProvider.System, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<NornResponse?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, NornUri(id));
        using var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return await ReadAsync(response, ClientJsonContext.Default.NornResponse, cancellationToken).ConfigureAwait(false);
        }

        if (IsNornNotFound(response))
        {
            return null;
        }

        throw await ApiErrors.FromResponseAsync(response, TimeProvider.System, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<NornResponse> ListAsync(
        string? deviceId = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var next = deviceId is null ? _norns : new Uri(_norns.AbsoluteUri + "?deviceId=" + Uri.EscapeDataString(deviceId));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (next is not null)
        {
            List<NornResponse> page;
            using (var message = new HttpRequestMessage(HttpMethod.Get, next))
            using (var response = await SendAsync(message, cancellationToken).ConfigureAwait(false))
            {
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw await ApiErrors.FromResponseAsync(response, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                }

                page = await ReadAsync(response, ClientJsonContext.Default.ListNornResponse, cancellationToken).ConfigureAwait(false);
                var link = NextLink(response, next);
                if (link is not null && !seen.Add(link.AbsoluteUri))
                {
                    throw ApiErrors.Unexpected(response, $"its next-page link {link} repeats an earlier page", null);
                }

                next = link;
            }

            foreach (var norn in page)
            {
                yield return norn;
            }
        }
    }

    /// <inheritdoc />
    public async Task<NornResponse> UpdateAsync(string id, NornRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(HttpMethod.Put, NornUri(id)) { Content = Json(request) };
        using var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return await ReadAsync(response, ClientJsonContext.Default.NornResponse, cancellationToken).ConfigureAwait(false);
        }

        throw await ApiErrors.FromResponseAsync(response, TimeProvider.System, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Delete, NornUri(id));
        using var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK)
        {
            return true;
        }

        if (IsNornNotFound(response))
        {
            return false;
        }

        throw await ApiErrors.FromResponseAsync(response, TimeProvider.System, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<NornWriteOutcome> RenewAsync(NornRequest registration, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        var seconds = (long)Math.Ceiling(ttl.TotalSeconds);
        return CreateOrUpdateAsync(registration with { Ttl = seconds }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<NornDeliveryStatus?> GetDeliveryStatusAsync(string id, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, NornUri(id));
        using var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var norn = await ReadAsync(response, ClientJsonContext.Default.NornResponse, cancellationToken).ConfigureAwait(false);
            return norn.Delivery ?? throw ApiErrors.Unexpected(response, "its norn has no delivery status (a server without it)", null);
        }

        if (IsNornNotFound(response))
        {
            return null;
        }

        throw await ApiErrors.FromResponseAsync(response, TimeProvider.System, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<NornDeliveryAttempts?> GetAttemptsAsync(string id, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(NornUri(id).AbsoluteUri + "/attempts"));
        using var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return await ReadAsync(response, ClientJsonContext.Default.NornDeliveryAttempts, cancellationToken).ConfigureAwait(false);
        }

        if (IsNornNotFound(response))
        {
            return null;
        }

        throw await ApiErrors.FromResponseAsync(response, TimeProvider.System, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The <c>rel="next"</c> target of the <c>Link</c> headers, resolved against the request; <see langword="null"/>
    /// when there is none. Links to another origin are refused: following them would send the credentials there.
    /// </summary>
    internal static Uri? NextLink(HttpResponseMessage response, Uri requestUri)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (var value in values)
        {
            foreach (var (target, parameters) in ParseLinks(value))
            {
                if (!HasRelNext(parameters))
                {
                    continue;
                }

                if (!Uri.TryCreate(requestUri, target, out var next))
                {
                    throw ApiErrors.Unexpected(response, $"its next-page link '{target}' is not a URI", null);
                }

                if (Uri.Compare(next, requestUri, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
                {
                    throw ApiErrors.Unexpected(
                        response, $"its next-page link points to another origin ({next.GetLeftPart(UriPartial.Authority)}); it is not followed", null);
                }

                return next;
            }
        }

        return null;
    }

    /// <summary>Splits one <c>Link</c> header value (RFC 8288) into its <c>&lt;target&gt;; params</c> parts.</summary>
    private static IEnumerable<(string Target, string Parameters)> ParseLinks(string value)
    {
        var position = 0;
        while (position < value.Length)
        {
            var open = value.IndexOf('<', position);
            if (open < 0)
            {
                yield break;
            }

            var close = value.IndexOf('>', open + 1);
            if (close < 0)
            {
                yield break;
            }

            // Parameters run to the next link: a comma outside quotes followed by '<'.
            var end = close + 1;
            var quoted = false;
            while (end < value.Length && (quoted || value[end] != ','))
            {
                if (value[end] == '"')
                {
                    quoted = !quoted;
                }

                end++;
            }

            yield return (value[(open + 1)..close].Trim(), value[(close + 1)..end]);
            position = end + 1;
        }
    }

    private static bool HasRelNext(string parameters)
    {
        foreach (var parameter in parameters.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0 || !parameter[..equals].Trim().Equals("rel", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var relations = parameter[(equals + 1)..].Trim().Trim('"');
            foreach (var relation in relations.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (relation.Equals("next", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The API's own "no such norn" answer: 404 with problem details (an empty 404 means a wrong address).</summary>
    private static bool IsNornNotFound(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.NotFound && ApiErrors.IsProblem(response);

    private static ByteArrayContent Json(NornRequest request)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request, ClientJsonContext.Default.NornRequest));
        content.Headers.ContentType = JsonMediaType;
        return content;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (JsonSerializer.Deserialize(body, typeInfo) is { } value)
            {
                return value;
            }
        }
        catch (JsonException ex)
        {
            throw ApiErrors.Unexpected(response, $"its body is not the expected {typeof(T).Name} JSON ({ex.Message})", Text(body), ex);
        }

        throw ApiErrors.Unexpected(response, "its body is JSON null", null);
    }

    private static string Text(byte[] body) =>
        Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, ApiErrors.MaxBodyChars));

    private Uri NornUri(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"{_norns.AbsoluteUri}/{Uri.EscapeDataString(id)}"));
    }

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        message.Headers.Accept.ParseAdd("application/json");
        message.Headers.Accept.ParseAdd("application/problem+json");
        return _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
    }
}
