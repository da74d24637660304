using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>samples/Mimisbrunnr.Server with <c>Mimisbrunnr:Store=Argus</c>, started as a process as the README does.</summary>
public sealed class SampleServerTests
{
    [Fact]
    public async Task The_sample_server_keeps_norns_in_Argus_and_reports_failing_polls_in_its_health()
    {
        await using var argus = await ArgusDouble.StartAsync();
        var bucket = Stores.NewBucket();
        var port = FreePort();
        using var server = StartServer(
            $"--urls=http://127.0.0.1:{port}",
            "--Mimisbrunnr:Store=Argus",
            $"--Mimisbrunnr:Argus:Address={argus.Address}",
            $"--Mimisbrunnr:Argus:Bucket={bucket}",
            "--Mimisbrunnr:Argus:PullInterval=00:00:00.200",
            $"--Mimisbrunnr:Argus:Owner={Stores.Owner}",
            "--Mimisbrunnr:Events:Secret=process-secret",
            "--Mimisbrunnr:Destinations:AllowPrivateNetworks=true",
            "--Server:Users:alice=wonderland");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await WaitUntilUpAsync(client, server.Process);
        client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String("alice:wonderland"u8.ToArray()));

        using var created = await client.PostAsync(
            "norns",
            new StringContent(
                "{\"deviceId\":\"mac:112233445566\",\"ttl\":600,\"destination\":{\"http\":{\"url\":\"http://127.0.0.1:9/hook\"}}}",
                Encoding.UTF8,
                "application/json"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(1, argus.ItemCount(bucket));
        Assert.Equal("Healthy", await HealthAsync(client));

        // Only the listing fails: the store answers its ping, so only the Argus check can make the host degraded.
        argus.Fault = ArgusFault.ListingsFail;
        await Eventually.HoldsAsync(() => HealthAsync(client).GetAwaiter().GetResult() == "Degraded", "/health says Degraded");
    }

    [Theory]
    [InlineData("--Mimisbrunnr:Argus:Owner=short", "Mimisbrunnr:Argus:Owner")]
    [InlineData("--Mimisbrunnr:Argus:Bucket=Norns", "Mimisbrunnr:Argus:Bucket")]
    [InlineData("--Mimisbrunnr:Argus:PullInterval=soon", "Mimisbrunnr:Argus:PullInterval")]
    [InlineData("--Mimisbrunnr:MaxTtl=172800", "Mimisbrunnr:Argus:ItemMaxTtl")]
    public async Task Invalid_Argus_configuration_exits_2_naming_the_key(string setting, string key)
    {
        using var server = StartServer(
            $"--urls=http://127.0.0.1:{FreePort()}",
            "--Mimisbrunnr:Store=Argus",
            "--Mimisbrunnr:Argus:Address=http://127.0.0.1:9/",
            "--Mimisbrunnr:Events:Secret=process-secret",
            setting);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await server.Process.WaitForExitAsync(timeout.Token);

        Assert.Equal(2, server.Process.ExitCode);
        Assert.Contains(key, server.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_Argus_address_exits_2_naming_the_key()
    {
        using var server = StartServer(
            $"--urls=http://127.0.0.1:{FreePort()}", "--Mimisbrunnr:Store=Argus", "--Mimisbrunnr:Events:Secret=process-secret");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await server.Process.WaitForExitAsync(timeout.Token);

        Assert.Equal(2, server.Process.ExitCode);
        Assert.Contains("Mimisbrunnr:Argus:Address", server.Errors, StringComparison.Ordinal);
    }

    private static async Task<string> HealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync("health");
        return await response.Content.ReadAsStringAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilUpAsync(HttpClient client, Process process)
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

    private static RunningServer StartServer(params string[] arguments)
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

    private sealed class RunningServer : IDisposable
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
