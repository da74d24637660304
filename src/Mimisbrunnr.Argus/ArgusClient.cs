using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Argus;

/// <summary>An answer body, in a pooled buffer when it may be large (a bucket listing).</summary>
internal sealed class ArgusBody : IDisposable
{
    private byte[]? _buffer;
    private readonly bool _pooled;

    public ArgusBody(byte[] buffer, int length, bool pooled)
    {
        _buffer = buffer;
        Length = length;
        _pooled = pooled;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(ArgusBody))).AsSpan(0, Length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null && _pooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// The HTTP side of the Argus store: one bucket's routes, the owner header and credentials on every request, a timeout
/// per attempt, retries with backoff for transport errors, timeouts, 408, 429 and 5xx, and the translation of Argus's
/// refusals (400 with <c>X-Xmidt-Error</c>, 401, 403) into <see cref="ArgusStoreException"/>.
/// </summary>
internal sealed partial class ArgusClient : IDisposable
{
    private const int MaxAttempts = 3;
    private const string ErrorHeader = "X-Xmidt-Error";
    private const string OldErrorHeader = "X-Midt-Error";
    private const int MaxReasonLength = 300;
    private static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http;
    private readonly ArgusStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ArgusCredentials _credentials;
    private readonly string _bucketPath;

    public ArgusClient(HttpClient http, ArgusStoreOptions options, TimeProvider time, ILogger logger)
    {
        _http = http;
        _options = options;
        _time = time;
        _logger = logger;
        _credentials = new ArgusCredentials(http, options, time);
        var address = options.Address!.AbsoluteUri;
        _bucketPath = (address.EndsWith('/') ? address : address + "/") + "api/v1/store/" + options.Bucket;
    }

    /// <summary>Raised for every 401 or 403, so that the store can report a configuration error to its health check.</summary>
    public event Action<ArgusStoreException>? Refused;

    /// <summary>The item with this id, or <see langword="null"/> (404: absent or expired).</summary>
    public async Task<ArgusBody?> GetItemAsync(string id, CancellationToken cancellationToken)
    {
        var (status, body) = await SendAsync("get", HttpMethod.Get, ItemUri(id), null, pooled: false, retry: true, cancellationToken)
            .ConfigureAwait(false);
        return status == HttpStatusCode.NotFound ? null : body;
    }

    /// <summary>Writes an item (created or replaced).</summary>
    public async Task PutItemAsync(string id, byte[] item, CancellationToken cancellationToken)
    {
        var (_, body) = await SendAsync("put", HttpMethod.Put, ItemUri(id), item, pooled: false, retry: true, cancellationToken)
            .ConfigureAwait(false);
        body?.Dispose();
    }

    /// <summary>Deletes an item; <see langword="false"/> when there was none (404).</summary>
    /// <remarks>
    /// A DELETE whose answer was lost and that is retried finds nothing the second time and reports
    /// <see langword="false"/> although the item is gone; callers only lose an accurate count.
    /// </remarks>
    public async Task<bool> DeleteItemAsync(string id, CancellationToken cancellationToken)
    {
        var (status, body) = await SendAsync("delete", HttpMethod.Delete, ItemUri(id), null, pooled: false, retry: true, cancellationToken)
            .ConfigureAwait(false);
        body?.Dispose();
        return status != HttpStatusCode.NotFound;
    }

    /// <summary>The whole bucket (the items of the configured owner), as Argus sends it: a JSON array sorted by id.</summary>
    /// <param name="retry">Whether to retry failures here (a poll is retried by the next poll instead).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<ArgusBody> ListAsync(bool retry, CancellationToken cancellationToken)
    {
        var (status, body) = await SendAsync("list", HttpMethod.Get, new Uri(_bucketPath), null, pooled: true, retry, cancellationToken)
            .ConfigureAwait(false);
        if (status == HttpStatusCode.NotFound || body is null)
        {
            // An unknown bucket lists as []; a 404 here can only come from something in front of Argus.
            body?.Dispose();
            throw new ArgusStoreException(
                $"Argus answered 404 to the listing of bucket '{_options.Bucket}': is Mimisbrunnr:Argus:Address the Argus server?",
                404,
                reason: null,
                isConfigurationError: true);
        }

        return body;
    }

    /// <summary>Asks for an item that cannot exist: any 200 or 404 proves Argus answers and accepts the credentials.</summary>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        var (_, body) = await SendAsync("ping", HttpMethod.Get, ItemUri(new string('0', 64)), null, pooled: false, retry: false, cancellationToken)
            .ConfigureAwait(false);
        body?.Dispose();
    }

    public void Dispose() => _credentials.Dispose();

    private Uri ItemUri(string id) => new(_bucketPath + "/" + id);

    private async Task<(HttpStatusCode Status, ArgusBody? Body)> SendAsync(
        string operation,
        HttpMethod method,
        Uri uri,
        byte[]? content,
        bool pooled,
        bool retry,
        CancellationToken cancellationToken)
    {
        var attempts = retry ? MaxAttempts : 1;
        var refreshedToken = false;
        Exception? lastException = null;
        string lastFailure = "no attempt";
        TimeSpan? retryAfter = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            retryAfter = null;
            using var timeout = new CancellationTokenSource(_options.Timeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                using var request = new HttpRequestMessage(method, uri);
                if (content is not null)
                {
                    request.Content = new ByteArrayContent(content);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                }

                if (!string.IsNullOrEmpty(_options.Owner))
                {
                    request.Headers.TryAddWithoutValidation(_options.OwnerHeader, _options.Owner);
                }

                request.Headers.Authorization = await _credentials.GetAsync(linked.Token).ConfigureAwait(false);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token)
                    .ConfigureAwait(false);
                var status = response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    return (status, await ReadAsync(response.Content, pooled, linked.Token).ConfigureAwait(false));
                }

                if (status == HttpStatusCode.NotFound)
                {
                    return (status, null);
                }

                var reason = Reason(response);
                if (status == HttpStatusCode.Unauthorized && _credentials.UsesBearer && !refreshedToken)
                {
                    // The token may have been revoked or expired early: fetch a new one once.
                    refreshedToken = true;
                    _credentials.Invalidate();
                    attempts++;
                    continue;
                }

                if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    throw new ArgusStoreException(
                        $"Argus refused the {operation} with {(int)status}{(reason is null ? string.Empty : ": " + reason)}. Check the credentials "
                        + "(Mimisbrunnr:Argus:Basic or Jwt), Owner and Bucket of Mimisbrunnr:Argus.",
                        (int)status,
                        reason,
                        isConfigurationError: true);
                }

                if (!IsTransient(status))
                {
                    Log.Rejected(_logger, operation, (int)status, reason ?? "(no reason given)");
                    throw new ArgusStoreException(
                        $"Argus rejected the {operation} with {(int)status}{(reason is null ? string.Empty : ": " + reason)}.",
                        (int)status,
                        reason,
                        isConfigurationError: false);
                }

                retryAfter = RetryAfter(response);
                lastFailure = $"answered {(int)status}{(reason is null ? string.Empty : ": " + reason)}";
                lastException = null;
            }
            catch (ArgusStoreException ex) when (ex.IsConfigurationError)
            {
                // From Argus or from the token source: nothing succeeds until the configuration is fixed.
                Log.Refused(_logger, operation, ex.StatusCode, ex.Reason ?? ex.Message);
                Refused?.Invoke(ex);
                throw;
            }
            catch (HttpRequestException ex)
            {
                lastFailure = ex.HttpRequestError == HttpRequestError.Unknown ? ex.Message : ex.HttpRequestError.ToString();
                lastException = ex;
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                lastFailure = $"no answer within {_options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
                lastException = ex;
            }

            if (attempt < attempts)
            {
                var delay = Backoff(attempt, retryAfter);
                Log.Retrying(_logger, operation, attempt, lastFailure, delay);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }

        Log.Unavailable(_logger, operation, attempts, lastFailure);
        throw new NornStoreUnavailableException(
            $"Argus ({_options.Address}) is unavailable: the {operation} failed {attempts} time(s), last: {lastFailure}.",
            retryAfter ?? (_options.PullInterval > TimeSpan.FromSeconds(1) ? _options.PullInterval : TimeSpan.FromSeconds(1)),
            lastException);
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } after)
        {
            return after < MaxDelay ? after : MaxDelay;
        }

        var ceiling = BaseDelay * Math.Pow(2, attempt - 1);
#pragma warning disable CA5394 // Jitter, not security.
        return TimeSpan.FromTicks((long)(Math.Min(ceiling.Ticks, MaxDelay.Ticks) * (0.5 + (Random.Shared.NextDouble() * 0.5))));
#pragma warning restore CA5394
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } header)
        {
            return null;
        }

        if (header.Delta is { } delta)
        {
            return delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
        }

        if (header.Date is { } date)
        {
            var delay = date - _time.GetUtcNow();
            return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        }

        return null;
    }

    private static string? Reason(HttpResponseMessage response)
    {
        string? reason = null;
        if (response.Headers.TryGetValues(ErrorHeader, out var values) || response.Headers.TryGetValues(OldErrorHeader, out values))
        {
            reason = string.Join("; ", values);
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            return null;
        }

        // Argus sanitises this header; still keep it to one short line in logs and exceptions.
        reason = reason.ReplaceLineEndings(" ");
        return reason.Length <= MaxReasonLength ? reason : reason[..MaxReasonLength] + "…";
    }

    private static async Task<ArgusBody> ReadAsync(HttpContent content, bool pooled, CancellationToken cancellationToken)
    {
        if (!pooled)
        {
            var bytes = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return new ArgusBody(bytes, bytes.Length, pooled: false);
        }

        var declared = content.Headers.ContentLength;
        var buffer = ArrayPool<byte>.Shared.Rent(declared is > 0 and < int.MaxValue - 1 ? (int)declared.Value + 1 : 64 * 1024);
        var length = 0;
        try
        {
            var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(checked(buffer.Length * 2));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    length += read;
                }
            }

            return new ArgusBody(buffer, length, pooled: true);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.Refused, LogLevel.Error, "Argus refused the {Operation} with {Status}: {Reason}. The credentials, owner or bucket under Mimisbrunnr:Argus are wrong.")]
        public static partial void Refused(ILogger logger, string operation, int status, string reason);

        [LoggerMessage(EventIds.Rejected, LogLevel.Warning, "Argus rejected the {Operation} with {Status}: {Reason}.")]
        public static partial void Rejected(ILogger logger, string operation, int status, string reason);

        [LoggerMessage(EventIds.Retrying, LogLevel.Debug, "Argus {Operation} attempt {Attempt} failed ({Failure}); retrying in {Delay}.")]
        public static partial void Retrying(ILogger logger, string operation, int attempt, string failure, TimeSpan delay);

        [LoggerMessage(EventIds.Unavailable, LogLevel.Warning, "Argus is unavailable: the {Operation} failed {Attempts} time(s), last: {Failure}.")]
        public static partial void Unavailable(ILogger logger, string operation, int attempts, string failure);
    }
}
