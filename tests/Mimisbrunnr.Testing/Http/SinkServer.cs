using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Mimisbrunnr.Testing.Http;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with a dynamic port, standing in for a consumer's webhook: it records every
/// request (method, path, headers, exact body) and answers from a script per path (status, <c>Retry-After</c>, delay,
/// or held until the test releases it). Tests await "N requests arrived" instead of sleeping.
/// </summary>
/// <example>
/// <code>
/// await using var sink = await SinkServer.StartAsync();
/// sink.Enqueue("/hook", SinkResponse.WithStatus(503), SinkResponse.Ok);
/// // ... deliver to sink.Url("/hook") ...
/// var requests = await sink.WaitForRequestsAsync(2, "/hook");
/// </code>
/// </example>
public sealed class SinkServer : IAsyncDisposable
{
    /// <summary>How long <see cref="WaitForRequestsAsync"/> waits by default: generous, for a loaded 2-core machine.</summary>
    public static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(20);

    private readonly Lock _lock = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly Dictionary<string, Queue<SinkResponse>> _scripts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SinkResponse> _defaults = new(StringComparer.Ordinal);
    private readonly List<Waiter> _waiters = [];
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;

    private SinkServer()
    {
    }

    /// <summary>The server's base address, <c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every request received so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Starts a server on 127.0.0.1 and a free port.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    public static async Task<SinkServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var sink = new SinkServer();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(sink.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        sink._app = app;
        return sink;
    }

    /// <summary>The absolute URL of a path on this server.</summary>
    /// <param name="path">A path such as <c>/hook</c>.</param>
    /// <returns>The URL.</returns>
    public Uri Url(string path) => new(BaseAddress, path);

    /// <summary>The requests to one path so far, in arrival order.</summary>
    /// <param name="path">The path.</param>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<RecordedRequest> RequestsTo(string path)
    {
        lock (_lock)
        {
            return _requests.Where(r => r.Path == path).ToArray();
        }
    }

    /// <summary>Scripts the next answers for a path, used in order; afterwards the path's default answers.</summary>
    /// <param name="path">The path.</param>
    /// <param name="responses">The answers.</param>
    public void Enqueue(string path, params SinkResponse[] responses)
    {
        lock (_lock)
        {
            if (!_scripts.TryGetValue(path, out var queue))
            {
                _scripts[path] = queue = new Queue<SinkResponse>();
            }

            foreach (var response in responses)
            {
                queue.Enqueue(response);
            }
        }
    }

    /// <summary>Sets the answer for a path once its script is used up (default <see cref="SinkResponse.Ok"/>).</summary>
    /// <param name="path">The path.</param>
    /// <param name="response">The answer.</param>
    public void SetDefault(string path, SinkResponse response)
    {
        lock (_lock)
        {
            _defaults[path] = response;
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> requests arrived (to <paramref name="path"/>, if given).</summary>
    /// <param name="count">How many.</param>
    /// <param name="path">Only requests to this path count; <see langword="null"/> counts all.</param>
    /// <param name="timeout">How long to wait (default <see cref="DefaultWaitTimeout"/>).</param>
    /// <returns>The matching requests (at least <paramref name="count"/>), in arrival order.</returns>
    /// <exception cref="TimeoutException">Fewer arrived in time; the message lists what did.</exception>
    public async Task<IReadOnlyList<RecordedRequest>> WaitForRequestsAsync(int count, string? path = null, TimeSpan? timeout = null)
    {
        Waiter waiter;
        lock (_lock)
        {
            var matching = Matching(path);
            if (matching.Count >= count)
            {
                return matching;
            }

            waiter = new Waiter(count, path);
            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Completion.Task.WaitAsync(timeout ?? DefaultWaitTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var received = path is null ? Requests : RequestsTo(path);
            throw new TimeoutException(
                $"Expected {count} requests{(path is null ? string.Empty : " to " + path)} within {timeout ?? DefaultWaitTimeout}; got {received.Count}: {string.Join(", ", received)}");
        }
        finally
        {
            lock (_lock)
            {
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>Stops the server; requests still held are answered 503 and closed.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private List<RecordedRequest> Matching(string? path) =>
        path is null ? [.. _requests] : _requests.Where(r => r.Path == path).ToList();

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers)
        {
            headers[header.Key] = header.Value.ToString();
        }

        var path = request.Path.Value ?? "/";
        SinkResponse response;
        lock (_lock)
        {
            var recorded = new RecordedRequest(
                _requests.Count, request.Method, path, request.QueryString.Value ?? string.Empty, headers, body.ToArray(), DateTimeOffset.UtcNow);
            _requests.Add(recorded);
            response = _scripts.TryGetValue(path, out var queue) && queue.Count > 0
                ? queue.Dequeue()
                : _defaults.GetValueOrDefault(path, SinkResponse.Ok);
            foreach (var waiter in _waiters)
            {
                var matching = Matching(waiter.Path);
                if (matching.Count >= waiter.Count)
                {
                    waiter.Completion.TrySetResult(matching);
                }
            }
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            if (response.Gate is { } gate)
            {
                await gate.WaitAsync(cts.Token).ConfigureAwait(false);
            }

            if (response.Delay > TimeSpan.Zero)
            {
                await Task.Delay(response.Delay, cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        context.Response.StatusCode = response.Status;
        if (response.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        if (response.Body is { } responseBody)
        {
            context.Response.ContentType = response.ContentType;
            await context.Response.Body.WriteAsync(responseBody).ConfigureAwait(false);
        }
    }

    private sealed class Waiter(int count, string? path)
    {
        public int Count { get; } = count;

        public string? Path { get; } = path;

        public TaskCompletionSource<IReadOnlyList<RecordedRequest>> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
