using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Mimisbrunnr.LoadTest;

/// <summary>Told about each arrival at the sink.</summary>
internal interface IArrivalObserver
{
    /// <summary>One delivery arrived at <paramref name="arrivedAt"/> carrying send time <paramref name="stamp"/> (0: none).</summary>
    void OnArrival(long arrivedAt, long stamp);
}

/// <summary>
/// The delivery target of the product's norns and of the forwarder baseline alike: a Kestrel endpoint in the tool's
/// own process, on 127.0.0.1, that verifies nothing. It reads each body, notes the arrival time
/// (<see cref="Stopwatch.GetTimestamp"/>, the clock the generators stamp events with: one process, one monotonic
/// clock), finds the send time in the body, counts, and answers 200.
/// </summary>
/// <remarks>
/// The sink and the generators live in the tool's process so that the subject and its baseline see the very same
/// sink and generator, with the same CPU cost on the shared 2 cores; only the process under test changes.
/// </remarks>
internal sealed class Sink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _arrivals;
    private IArrivalObserver? _observer;

    private Sink(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The URL norns and the forwarder deliver to.</summary>
    public Uri Url { get; }

    /// <summary>Deliveries received so far.</summary>
    public long Arrivals => Volatile.Read(ref _arrivals);

    /// <summary>Who is told about arrivals (a latency recorder, a credit window); <see langword="null"/>: nobody.</summary>
    public IArrivalObserver? Observer
    {
        get => Volatile.Read(ref _observer);
        set => Volatile.Write(ref _observer, value);
    }

    public static async Task<Sink> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        Sink? sink = null;
        app.Run(context => sink!.HandleAsync(context));
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink = new Sink(app, new Uri(new Uri(address), "sink"));
        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        ReadResult result;
        while (true)
        {
            result = await reader.ReadAsync(context.RequestAborted);
            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        var arrivedAt = Stopwatch.GetTimestamp();
        var body = result.Buffer;
        var stamp = body.IsSingleSegment ? Events.ReadStamp(body.FirstSpan) : Events.ReadStamp(body.ToArray());
        reader.AdvanceTo(body.End);
        Interlocked.Increment(ref _arrivals);
        Observer?.OnArrival(arrivedAt, stamp);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }
}
