using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>Starts samples/Mimisbrunnr.Server as a process (Production environment), as the README runs it.</summary>
internal static class SampleServerProcess
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitUntilUpAsync(HttpClient client, Process process)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, "the sample server exited early");
            try
            {
                using var response = await client.GetAsync("health");
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200);
            }
        }

        Assert.Fail("the sample server did not answer within 60 s");
    }

    public static RunningServer StartServer(params string[] arguments)
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

        // Production environment: nothing comes from appsettings.Development.json.
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        return new RunningServer(Process.Start(start)!);
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

    public sealed class RunningServer : IDisposable
    {
        private readonly StringBuilder _errors = new();

        public RunningServer(Process process)
        {
            Process = process;
            process.ErrorDataReceived += (_, e) =>
            {
                lock (_errors)
                {
                    _errors.AppendLine(e.Data);
                }
            };
            process.OutputDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
        }

        public Process Process { get; }

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

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }

            Process.Dispose();
        }
    }
}
