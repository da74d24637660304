using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>
/// A real Kestrel reverse proxy on 127.0.0.1 in front of the emulator, for what fauxqs does not do: it answers scripted
/// AWS JSON errors (throttling, 5xx) before forwarding, holds requests to make the queue slow, and — when
/// <see cref="AcceptedAccessKeys"/> is set — refuses requests signed with any other access key id with 403
/// <c>InvalidClientTokenId</c>, as SQS does (fauxqs accepts every credential).
/// </summary>
internal sealed class SqsFaultProxy : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Queue<Fault> _faults = new();
    private readonly List<string> _operations = [];
    private readonly HttpClient _upstream;
    private WebApplication? _app;

    private SqsFaultProxy(Uri upstream) => _upstream = new HttpClient { BaseAddress = upstream };

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>When set, only these access key ids are accepted.</summary>
    public HashSet<string>? AcceptedAccessKeys { get; set; }

    /// <summary>When set, every request waits for it before going on.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>The SQS operations received (X-Amz-Target without its prefix), in order, faults included.</summary>
    public IReadOnlyList<string> Operations
    {
        get
        {
            lock (_lock)
            {
                return [.. _operations];
            }
        }
    }

    public static async Task<SqsFaultProxy> StartAsync(Uri upstream)
    {
        var proxy = new SqsFaultProxy(upstream);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(proxy.HandleAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy.BaseAddress = new Uri(address.TrimEnd('/'));
        proxy._app = app;
        return proxy;
    }

    /// <summary>Answers the next request(s) with an AWS JSON error instead of forwarding them.</summary>
    public void Enqueue(HttpStatusCode status, string code, int times = 1)
    {
        lock (_lock)
        {
            for (var i = 0; i < times; i++)
            {
                _faults.Enqueue(new Fault(status, code));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Gate?.TrySetResult();
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }

        _upstream.Dispose();
    }

    private static async Task WriteErrorAsync(HttpContext context, HttpStatusCode status, string code, string message)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/x-amz-json-1.0";
        context.Response.Headers["x-amzn-query-error"] = $"{code};{((int)status >= 500 ? "Receiver" : "Sender")}";
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        await context.Response.WriteAsync($$"""{"__type":"com.amazonaws.sqs#{{code}}","message":"{{message}}"}""", Encoding.UTF8);
    }

    private static string? AccessKeyOf(string authorization)
    {
        // AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/sqs/aws4_request, SignedHeaders=..., Signature=...
        const string Marker = "Credential=";
        var start = authorization.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += Marker.Length;
        var end = authorization.IndexOf('/', start);
        return end < 0 ? null : authorization[start..end];
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        Fault? fault = null;
        lock (_lock)
        {
            _operations.Add(target.Replace("AmazonSQS.", string.Empty, StringComparison.Ordinal));
            if (_faults.Count > 0)
            {
                fault = _faults.Dequeue();
            }
        }

        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(context.RequestAborted);
        }

        if (AcceptedAccessKeys is { } accepted && (AccessKeyOf(context.Request.Headers.Authorization.ToString()) is not { } key || !accepted.Contains(key)))
        {
            await WriteErrorAsync(context, HttpStatusCode.Forbidden, "InvalidClientTokenId", "The security token included in the request is invalid.");
            return;
        }

        if (fault is { } f)
        {
            await WriteErrorAsync(context, f.Status, f.Code, "Injected by the test proxy.");
            return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
        forward.Content = new ByteArrayContent(body.ToArray());
        foreach (var header in context.Request.Headers)
        {
            if (header.Key.Equals("Host", StringComparison.OrdinalIgnoreCase) || header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!forward.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray()))
            {
                forward.Content.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
            }
        }

        using var response = await _upstream.SendAsync(forward, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (!header.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && !header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private readonly record struct Fault(HttpStatusCode Status, string Code);
}
