using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>samples/Mimisbrunnr.Server with <c>Mimisbrunnr:Store=Argus</c>, started as a process as the README does.</summary>
public sealed class SampleServerTests
{
    [Fact]
    public async Task The_sample_server_keeps_norns_in_Argus_and_reports_failing_polls_in_its_health()
    {
        await using var argus = await ArgusDouble.StartAsync();
        var bucket = Stores.NewBucket();
        var port = SampleServerProcess.FreePort();
        using var server = SampleServerProcess.Start(
            $"--urls=http://127.0.0.1:{port}",
            "--Mimisbrunnr:Store=Argus",
            $"--Mimisbrunnr:Argus:Address={argus.Address}",
            $"--Mimisbrunnr:Argus:Bucket={bucket}",
            "--Mimisbrunnr:Argus:PullInterval=00:00:00.200",
            $"--Mimisbrunnr:Argus:Owner={Stores.Owner}",
            "--Mimisbrunnr:Events:Secret=process-secret",
            "--Mimisbrunnr:Destinations:AllowPrivateNetworks=true",
            "--Server:Users:alice=wonderland",
            "--Server:Partners:alice:0=*");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await server.WaitUntilUpAsync(client);
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
        await Eventually.TrueAsync(async () => await HealthAsync(client) == "Degraded", "/health says Degraded");
    }

    [Theory]
    [InlineData("--Mimisbrunnr:Argus:Owner=short", "Mimisbrunnr:Argus:Owner")]
    [InlineData("--Mimisbrunnr:Argus:Bucket=Norns", "Mimisbrunnr:Argus:Bucket")]
    [InlineData("--Mimisbrunnr:Argus:PullInterval=soon", "Mimisbrunnr:Argus:PullInterval")]
    [InlineData("--Mimisbrunnr:MaxTtl=172800", "Mimisbrunnr:Argus:ItemMaxTtl")]
    public async Task Invalid_Argus_configuration_exits_2_naming_the_key(string setting, string key)
    {
        using var server = SampleServerProcess.Start(
            $"--urls=http://127.0.0.1:{SampleServerProcess.FreePort()}",
            "--Mimisbrunnr:Store=Argus",
            "--Mimisbrunnr:Argus:Address=http://127.0.0.1:9/",
            "--Mimisbrunnr:Events:Secret=process-secret",
            setting);
        await server.WaitForExitAsync();

        Assert.Equal(2, server.Process.ExitCode);
        Assert.Contains(key, server.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_Argus_address_exits_2_naming_the_key()
    {
        using var server = SampleServerProcess.Start(
            $"--urls=http://127.0.0.1:{SampleServerProcess.FreePort()}", "--Mimisbrunnr:Store=Argus", "--Mimisbrunnr:Events:Secret=process-secret");
        await server.WaitForExitAsync();

        Assert.Equal(2, server.Process.ExitCode);
        Assert.Contains("Mimisbrunnr:Argus:Address", server.Errors, StringComparison.Ordinal);
    }

    private static async Task<string> HealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync("health");
        return await response.Content.ReadAsStringAsync();
    }
}
