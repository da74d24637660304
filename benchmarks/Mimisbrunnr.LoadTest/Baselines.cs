using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace Mimisbrunnr.LoadTest;

/// <summary>
/// The baselines the product is compared with, each run as a child process of its own (this tool started with
/// <c>baseline</c>), on the same runtime, web host defaults and GC settings as the sample server:
/// <list type="bullet">
/// <item><c>ingest</c>: a bare Kestrel endpoint <c>POST /events</c> that reads the body, checks the HMAC-SHA1
/// <c>X-Webpa-Signature</c> and answers 202.</item>
/// <item><c>forward</c>: the same endpoint, then the body into a bounded channel, from which 64 senders on one
/// <see cref="HttpClient"/> POST the bytes as received to the sink, each signed with HMAC-SHA1 like the product's
/// deliveries. It decodes nothing and routes nothing.</item>
/// </list>
/// </summary>
internal static class Baselines
{
    public const string Ingest = "ingest";
    public const string Forward = "forward";

    /// <summary>The forwarder's senders.</summary>
    public const int Senders = 64;

    /// <summary>
    /// The forwarder's channel. Larger than any window of events the generators keep in flight, so that ingest never
    /// waits on it in these scenarios (as the product's routing never blocks).
    /// </summary>
    public const int ChannelCapacity = 100_000;

    private const int MaxBodyBytes = 262_144;

    /// <summary>Starts a baseline child process on a free port and waits until it answers <c>/health</c>.</summary>
    public static async Task<(ChildProcess Process, Uri EventsUrl)> StartAsync(
        RunContext context, string mode, Uri? sink, CancellationToken cancellationToken)
    {
        var port = ChildProcess.FreePort();
        var arguments = new List<string>
        {
            typeof(Baselines).Assembly.Location, "baseline",
            "--urls", $"http://127.0.0.1:{port}",
            "--environment", "Production",
            "--Logging:LogLevel:Default", "Warning",
            "--Baseline:Mode", mode,
            "--Baseline:Secret", context.EventsSecret,
        };
        if (sink is not null)
        {
            arguments.AddRange(["--Baseline:Sink", sink.ToString(), "--Baseline:SinkSecret", context.NornSecret]);
        }

        var process = ChildProcess.Start("baseline-" + mode, DotNet.Host, arguments);
        var baseUrl = new Uri($"http://127.0.0.1:{port}/");
        try
        {
            await ServerProcess.WaitHealthyAsync(process, new Uri(baseUrl, "health"), TimeSpan.FromMinutes(1), cancellationToken);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return (process, new Uri(baseUrl, "events"));
    }

    /// <summary>The child side: <c>Mimisbrunnr.LoadTest baseline --Baseline:Mode ingest|forward ...</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var configuration = builder.Configuration;
        var mode = configuration["Baseline:Mode"];
        var key = Encoding.UTF8.GetBytes(configuration["Baseline:Secret"] ?? throw new InvalidOperationException("Baseline:Secret is required."));
        Channel<byte[]>? channel = null;
        if (mode == Forward)
        {
            channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(ChannelCapacity)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = false,
                SingleWriter = false,
            });
        }
        else if (mode != Ingest)
        {
            await Console.Error.WriteLineAsync($"Baseline:Mode must be {Ingest} or {Forward}, not '{mode}'.");
            return 2;
        }

        var app = builder.Build();
        app.MapGet("/health", () => Results.Ok());
        app.MapPost("/events", async (HttpContext context) =>
        {
            var body = await ReadBodyAsync(context.Request, context.RequestAborted);
            if (body is null)
            {
                return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            }

            if (!Events.SignatureMatches(context.Request.Headers[Events.SignatureHeader].ToString(), key, body))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }

            if (channel is not null)
            {
                await channel.Writer.WriteAsync(body, context.RequestAborted);
            }

            return Results.StatusCode(StatusCodes.Status202Accepted);
        });

        await app.StartAsync();
        Task senders = Task.CompletedTask;
        if (channel is not null)
        {
            var sink = new Uri(configuration["Baseline:Sink"] ?? throw new InvalidOperationException("Baseline:Sink is required."));
            var sinkKey = Encoding.UTF8.GetBytes(configuration["Baseline:SinkSecret"] ?? string.Empty);
            senders = ForwardAsync(channel.Reader, sink, sinkKey, app.Lifetime.ApplicationStopping);
        }

        await app.WaitForShutdownAsync();
        channel?.Writer.TryComplete();
        await senders;
        return 0;
    }

    /// <summary>Reads the whole body, refusing more than <see cref="MaxBodyBytes"/> (as the product does).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length > MaxBodyBytes)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                var bytes = System.Buffers.BuffersExtensions.ToArray(buffer);
                reader.AdvanceTo(buffer.End);
                return bytes;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task ForwardAsync(ChannelReader<byte[]> reader, Uri sink, byte[] sinkKey, CancellationToken stopping)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
        long failed = 0;
        var senders = Enumerable.Range(0, Senders).Select(_ => Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var body in reader.ReadAllAsync(stopping))
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, sink) { Content = new ByteArrayContent(body) };
                        request.Content.Headers.TryAddWithoutValidation("Content-Type", Events.MsgPack);
                        request.Headers.TryAddWithoutValidation(Events.SignatureHeader, Events.Sign(sinkKey, body));
                        try
                        {
                            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stopping);
                            if (!response.IsSuccessStatusCode)
                            {
                                Interlocked.Increment(ref failed);
                            }
                        }
                        catch (HttpRequestException)
                        {
                            Interlocked.Increment(ref failed);
                        }
                    }
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    // Shutting down.
                }
            },
            CancellationToken.None));
        await Task.WhenAll(senders);
        if (failed > 0)
        {
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"forwarder: {failed} deliveries failed."));
        }
    }
}
