using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Mimisbrunnr.LoadTest;

/// <summary>
/// The sample server (<c>samples/Mimisbrunnr.Server</c>, Release build) as a child process on 127.0.0.1, configured
/// only through the keys documented in the README: a fresh SQLite file, the events secret, private destinations
/// allowed, one Basic user, raised quotas, a secrets-at-rest key, and Warning logs (Information for the
/// <c>Mimisbrunnr</c> categories, which log nothing per event, so that "Norn index loaded" shows).
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    public const string User = "load";
    public const string IndexLoadedLine = "Norn index loaded";

    private readonly RunContext _context;
    private readonly ChildProcess _process;

    private ServerProcess(RunContext context, ChildProcess process, Uri baseUrl)
    {
        _context = context;
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public Uri EventsUrl => new(BaseUrl, "events");

    public ChildProcess Process => _process;

    /// <summary>From start until <c>/health</c> first answered 200.</summary>
    public TimeSpan HealthyAfter { get; private set; }

    /// <summary>Starts a server on a new SQLite file (or on <paramref name="databasePath"/>) and waits for <c>/health</c>.</summary>
    public static async Task<ServerProcess> StartAsync(RunContext context, string name, string? databasePath, CancellationToken cancellationToken)
    {
        var port = ChildProcess.FreePort();
        databasePath ??= Path.Combine(context.TempDirectory, name + ".db");
        string[] arguments =
        [
            context.ServerDll,
            "--urls", $"http://127.0.0.1:{port}",
            "--environment", "Production",
            "--ConnectionStrings:Norns", $"Data Source={databasePath}",
            "--Mimisbrunnr:Events:Secret", context.EventsSecret,
            "--Mimisbrunnr:Destinations:AllowPrivateNetworks", "true",
            "--Server:Users:" + User, context.Password,
            "--Server:Partners:" + User + ":0", "*", // an operator of every partner: the load is about delivery, not tenancy
            "--Mimisbrunnr:Quotas:MaxNornsPerOwner", "10000000",
            "--Mimisbrunnr:Api:RateLimit:Enabled", "false",
            "--Mimisbrunnr:SecretKeys:0", context.SecretKey,
            "--Logging:LogLevel:Default", "Warning",
            "--Logging:LogLevel:Mimisbrunnr", "Information",
        ];
        var process = ChildProcess.Start(name, DotNet.Host, arguments);
        var server = new ServerProcess(context, process, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            server.HealthyAfter = await WaitHealthyAsync(process, new Uri(server.BaseUrl, "health"), TimeSpan.FromMinutes(5), cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>
    /// Polls <paramref name="health"/> every 20 ms until it answers 200; returns the time since the process started.
    /// Fails early, with the process's output, when the process exits.
    /// </summary>
    public static async Task<TimeSpan> WaitHealthyAsync(ChildProcess process, Uri health, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"{process.Name} exited with status {process.ExitCode} before it was healthy:{Environment.NewLine}{process.Tail()}");
            }

            try
            {
                using var response = await client.GetAsync(health, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return Stopwatch.GetElapsedTime(process.StartedAt);
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Slow to answer while starting.
            }

            await Task.Delay(20, cancellationToken);
        }

        throw new TimeoutException($"{process.Name} was not healthy within {timeout}:{Environment.NewLine}{process.Tail()}");
    }

    /// <summary>
    /// Registers one norn per device through <c>POST /norns</c> (<paramref name="concurrency"/> requests at a time), each
    /// delivering to <paramref name="destination"/> as WRP JSON, signed with the run's norn secret.
    /// </summary>
    /// <returns>Norns created per second.</returns>
    public async Task<double> RegisterNornsAsync(IReadOnlyList<string> devices, Uri destination, int concurrency, CancellationToken cancellationToken)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{_context.Password}")));
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < devices.Count)
            {
                var request = new
                {
                    deviceId = devices[i],
                    ttl = 86400,
                    destination = new { http = new { url = destination.ToString(), secret = _context.NornSecret, contentType = "application/json" } },
                };
                using var response = await client.PostAsJsonAsync("norns", request, cancellationToken);
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    var body = await response.Content.ReadAsStringAsync(cancellationToken);
                    throw new InvalidOperationException(
                        string.Create(CultureInfo.InvariantCulture, $"POST /norns for {devices[i]} answered {(int)response.StatusCode}: {body}"));
                }
            }
        });
        await Task.WhenAll(workers);
        return devices.Count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

/// <summary>The <c>dotnet</c> host that runs the tool, used to start the server and the baselines alike.</summary>
internal static class DotNet
{
    public static string Host { get; } =
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
