using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>
/// samples/Mimisbrunnr.Server started as a process (Production environment, SQLite in a temporary file) with the
/// configuration keys an operator would pass; one Basic user, <see cref="User"/>.
/// </summary>
internal sealed class SampleServer : IAsyncDisposable
{
    public const string User = "operator";
    public const string Password = "dashboard-password";
    public const string EventsSecret = "sample-events-secret";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _directory;

    private SampleServer(Process process, string directory, Uri baseAddress)
    {
        _process = process;
        _directory = directory;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
        Client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    /// <summary>A client authenticated as <see cref="User"/>.</summary>
    public HttpClient Client { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<SampleServer> StartAsync(params string[] arguments)
    {
        var directory = Directory.CreateTempSubdirectory("mimisbrunnr-sample-").FullName;
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        start.ArgumentList.Add(ServerAssembly());
        foreach (var argument in new[]
        {
            $"--urls=http://127.0.0.1:{port}",
            $"--ConnectionStrings:Norns=Data Source={Path.Combine(directory, "norns.db")}",
            $"--Mimisbrunnr:Events:Secret={EventsSecret}",
            "--Mimisbrunnr:Destinations:AllowPrivateNetworks=true",
            "--Mimisbrunnr:Delivery:RetryBaseDelay=00:00:00.010",
            $"--Server:Users:{User}={Password}",
            $"--Server:Partners:{User}:0=*", // an operator: receives the events of every partner
        }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        var server = new SampleServer(Process.Start(start)!, directory, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await server.WaitUntilUpAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary directory.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string ServerAssembly()
    {
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mimisbrunnr.sln")))
            {
                var path = Path.Combine(dir.FullName, "samples", "Mimisbrunnr.Server", "bin", configuration, "net10.0", "Mimisbrunnr.Server.dll");
                Assert.True(File.Exists(path), $"build the sample server first: {path} is missing");
                return path;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilUpAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_process.HasExited, "the sample server exited early:\n" + Output);
            try
            {
                using var response = await Client.GetAsync("health", TestContext.Current.CancellationToken);
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
        }

        Assert.Fail("the sample server did not answer within 90 s:\n" + Output);
    }
}
