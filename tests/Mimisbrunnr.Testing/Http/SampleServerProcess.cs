using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mimisbrunnr.Testing.Http;

/// <summary>
/// samples/Mimisbrunnr.Server started as a process (Production environment, configuration on the command line) the
/// way the README runs it; killed on dispose. The test project must build the sample (a project reference with
/// <c>ReferenceOutputAssembly="false"</c>).
/// </summary>
public sealed class SampleServerProcess : IDisposable
{
    private readonly StringBuilder _errors = new();
    private readonly StringBuilder _output = new();

    private SampleServerProcess(Process process)
    {
        Process = process;
        process.ErrorDataReceived += (_, e) =>
        {
            lock (_errors)
            {
                _errors.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            lock (_output)
            {
                _output.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
    }

    /// <summary>The server process.</summary>
    public Process Process { get; }

    /// <summary>What the server wrote to standard error; waits for it to exit first.</summary>
    public string Errors
    {
        get
        {
            Process.WaitForExit();
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    /// <summary>What the server has written to standard output so far (its console log).</summary>
    public string OutputSoFar
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>A port of 127.0.0.1 that was free a moment ago.</summary>
    /// <returns>The port.</returns>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the sample server with command-line arguments (<c>--urls=…</c>, <c>--Key=value</c>).</summary>
    /// <param name="arguments">The arguments.</param>
    /// <returns>The running process.</returns>
    /// <remarks>
    /// The server gets a test key in <c>Mimisbrunnr__SecretKeys__0</c> (a durable store refuses to start without one);
    /// an argument <c>--Mimisbrunnr:SecretKeys:0=…</c> replaces it. <see cref="StartWithoutSecretKeys"/> gives none.
    /// </remarks>
    public static SampleServerProcess Start(params string[] arguments) => Start(arguments, TestSecretKey);

    /// <summary>Starts the sample server as <see cref="Start(string[])"/> does, but without the test key.</summary>
    /// <param name="arguments">The arguments.</param>
    /// <returns>The running process.</returns>
    public static SampleServerProcess StartWithoutSecretKeys(params string[] arguments) => Start(arguments, null);

    /// <summary>The key the sample server gets unless a test says otherwise (base64 of 32 bytes).</summary>
    public static readonly string TestSecretKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private static SampleServerProcess Start(string[] arguments, string? secretKey)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(ServerAssembly());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Production environment: nothing comes from appsettings.Development.json. The arguments alone decide where it
        // listens and whether it exports telemetry (--OTEL_EXPORTER_OTLP_ENDPOINT=…).
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("Mimisbrunnr__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(variable);
        }

        if (secretKey is not null)
        {
            start.Environment["Mimisbrunnr__SecretKeys__0"] = secretKey;
        }

        return new SampleServerProcess(Process.Start(start)!);
    }

    /// <summary>Waits until the server answers <c>GET /health</c> (whatever the status); fails if it exits first.</summary>
    /// <param name="client">A client with the server's base address.</param>
    /// <param name="timeout">How long to wait (default 60 s).</param>
    /// <returns>A task that completes once it answers.</returns>
    public Task WaitUntilUpAsync(HttpClient client, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(
            async () =>
            {
                Assert.False(Process.HasExited, "the sample server exited early:\n" + (Process.HasExited ? Errors : string.Empty));
                try
                {
                    using var response = await client.GetAsync(new Uri("health", UriKind.Relative), TestContext.Current.CancellationToken);
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            },
            "the sample server answers",
            timeout ?? TimeSpan.FromSeconds(60));

    /// <summary>Waits (60 s at most) for the server to exit by itself.</summary>
    /// <returns>Its exit code.</returns>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Process.WaitForExitAsync(timeout.Token);
        return Process.ExitCode;
    }

    /// <summary>Kills the server if it still runs.</summary>
    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
        }

        Process.Dispose();
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
}
