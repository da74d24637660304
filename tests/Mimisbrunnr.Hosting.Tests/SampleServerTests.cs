using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>Starts samples/Mimisbrunnr.Server as a process with the configuration keys the README documents.</summary>
public sealed class SampleServerTests : SinkAndDatabaseTest
{
    [Fact]
    public async Task Sample_server_answers_norns_and_events_with_the_documented_keys()
    {
        var port = SampleServerProcess.FreePort();
        using var server = SampleServerProcess.Start(
            $"--urls=http://127.0.0.1:{port}",
            $"--ConnectionStrings:Norns=Data Source={Database.Path}",
            "--Mimisbrunnr:Events:Secret=process-secret",
            "--Mimisbrunnr:Destinations:AllowPrivateNetworks=true",
            "--Mimisbrunnr:MaxTtl=600",
            "--Server:Users:alice=wonderland",
            "--Server:Partners:alice:0=*");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await server.WaitUntilUpAsync(client);
        client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String("alice:wonderland"u8.ToArray()));

        using var tooLong = await client.PostAsync("norns", Json(TestNorns.HttpRequest("mac:112233445566", Sink.Url("/s"), ttl: 601, secret: TestNorns.Secret).ToJson()), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        using var created = await client.PostAsync("norns", Json(TestNorns.HttpRequest("mac:112233445566", Sink.Url("/s"), ttl: 600, secret: TestNorns.Secret).ToJson()), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var accepted = await PostSignedEventAsync(client);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        Assert.Single(await Sink.WaitForRequestsAsync(1, "/s"));

        using var anonymous = new HttpClient { BaseAddress = client.BaseAddress };
        using var unauthorized = await anonymous.GetAsync("norns", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("Basic", Assert.Single(unauthorized.Headers.WwwAuthenticate).Scheme);
        Assert.Equal("application/problem+json", unauthorized.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Sample_server_runs_its_authentication_schemes_for_norns_but_not_for_signed_events()
    {
        // The Basic handler logs at Debug each request it finds no credentials in; /events (HMAC-signed, anonymous
        // callers allowed) must not reach it, /health and /norns must (HostSecurityPipeline).
        const string NotAuthenticated = "AuthenticationScheme: Basic was not authenticated.";
        var port = SampleServerProcess.FreePort();
        using var server = SampleServerProcess.Start(
            $"--urls=http://127.0.0.1:{port}",
            $"--ConnectionStrings:Norns=Data Source={Database.Path}",
            "--Mimisbrunnr:Events:Secret=process-secret",
            "--Server:Users:alice=wonderland",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Mimisbrunnr.Server.BasicAuthenticationHandler=Debug");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await server.WaitUntilUpAsync(client);
        await Eventually.TrueAsync(() => Count(server.OutputSoFar) >= 1, "the first /health request is logged", TimeSpan.FromSeconds(10));
        var before = Count(server.OutputSoFar);

        for (var i = 0; i < 5; i++)
        {
            using var accepted = await PostSignedEventAsync(client);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        using var unauthorized = await client.GetAsync("norns", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);

        // The console logger writes in order: once the /norns line is out, any line of the events before it is too.
        await Eventually.TrueAsync(() => Count(server.OutputSoFar) >= before + 1, "the /norns request is logged", TimeSpan.FromSeconds(10));
        Assert.Equal(before + 1, Count(server.OutputSoFar));

        static int Count(string output) => output.Split(NotAuthenticated).Length - 1;
    }

    [Fact]
    public async Task Sample_server_without_a_secret_exits_non_zero_with_a_readable_message()
    {
        using var server = SampleServerProcess.Start($"--urls=http://127.0.0.1:{SampleServerProcess.FreePort()}", $"--ConnectionStrings:Norns=Data Source={Database.Path}");
        await server.WaitForExitAsync();
        Assert.NotEqual(0, server.Process.ExitCode);
        Assert.Contains("Mimisbrunnr:Events:Secret", server.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sample_server_with_its_database_and_no_secret_keys_exits_2_naming_the_key()
    {
        var port = SampleServerProcess.FreePort();
        using var server = SampleServerProcess.StartWithoutSecretKeys(
            $"--urls=http://127.0.0.1:{port}", $"--ConnectionStrings:Norns=Data Source={Database.Path}", "--Mimisbrunnr:Events:Secret=process-secret");
        await server.WaitForExitAsync();

        Assert.Equal(2, server.Process.ExitCode);
        Assert.Contains("Mimisbrunnr:SecretKeys", server.Errors, StringComparison.Ordinal);

        using var allowed = SampleServerProcess.StartWithoutSecretKeys(
            $"--urls=http://127.0.0.1:{port}",
            $"--ConnectionStrings:Norns=Data Source={Database.Path}",
            "--Mimisbrunnr:Events:Secret=process-secret",
            "--Mimisbrunnr:AllowUnencryptedSecrets=true");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await allowed.WaitUntilUpAsync(client);
    }

    [Theory]
    [InlineData("Sqlite", "Data Source=x.db;Colour=blue", "colour")]
    [InlineData("PostgreSql", "Host=127.0.0.1;Colour=blue;Password=hunter2", "cannot be parsed")] // never echoes the string
    public async Task Sample_server_with_an_unreadable_connection_string_exits_2_naming_the_key(string store, string connectionString, string reason)
    {
        using var server = SampleServerProcess.Start(
            $"--urls=http://127.0.0.1:{SampleServerProcess.FreePort()}",
            "--Mimisbrunnr:Events:Secret=process-secret",
            $"--Mimisbrunnr:Store={store}",
            $"--ConnectionStrings:Norns={connectionString}");
        await server.WaitForExitAsync();
        Assert.Equal(2, server.Process.ExitCode);
        Assert.Contains("ConnectionStrings:Norns", server.Errors, StringComparison.Ordinal);
        Assert.Contains(reason, server.Errors, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hunter2", server.Errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Mimisbrunnr:Delivery:QueueSize", "0")]
    [InlineData("Mimisbrunnr:Delivery:Workers", "0")]
    [InlineData("Mimisbrunnr:Delivery:Retries", "-1")]
    [InlineData("Mimisbrunnr:Delivery:Timeout", "00:00:00")]
    [InlineData("Mimisbrunnr:MaxTtl", "0")]
    [InlineData("Mimisbrunnr:Quotas:MaxNornsPerOwner", "0")]
    [InlineData("Mimisbrunnr:Quotas:MaxNornsPerDevice", "0")]
    [InlineData("Mimisbrunnr:Events:MaxBodyBytes", "0")]
    [InlineData("Mimisbrunnr:Destinations:AllowedHosts:0", "not a host/99")]
    [InlineData("Mimisbrunnr:SecretKeys:0", "c2hvcnQ=")]
    [InlineData("Mimisbrunnr:Api:RateLimit:RequestsPerSecond", "0")]
    [InlineData("Mimisbrunnr:Webhook:Interval", "00:10:00")]
    public async Task Sample_server_with_an_invalid_documented_value_exits_2_naming_the_key(string key, string value)
    {
        var arguments = new List<string>
        {
            $"--urls=http://127.0.0.1:{SampleServerProcess.FreePort()}",
            $"--ConnectionStrings:Norns=Data Source={Database.Path}",
            "--Mimisbrunnr:Events:Secret=process-secret",
            $"--{key}={value}",
        };
        if (key.StartsWith("Mimisbrunnr:Webhook:", StringComparison.Ordinal))
        {
            arguments.Add("--Mimisbrunnr:Webhook:RegistrationUrl=https://caduceus.example/hook");
            arguments.Add("--Mimisbrunnr:Webhook:PublicUrl=https://mimisbrunnr.example/events");
        }

        using var server = SampleServerProcess.Start([.. arguments]);
        await server.WaitForExitAsync();

        Assert.Equal(2, server.Process.ExitCode);
        Assert.Contains(key.Split(':')[^1] == "0" ? key[..key.LastIndexOf(':')] : key, server.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sample_server_limits_each_owners_norn_requests_with_429_and_Retry_After()
    {
        var port = SampleServerProcess.FreePort();
        using var server = SampleServerProcess.Start(
            $"--urls=http://127.0.0.1:{port}",
            $"--ConnectionStrings:Norns=Data Source={Database.Path}",
            "--Mimisbrunnr:Events:Secret=process-secret",
            "--Mimisbrunnr:Api:RateLimit:RequestsPerSecond=1",
            "--Mimisbrunnr:Api:RateLimit:Burst=3",
            "--Server:Users:alice=wonderland",
            "--Server:Users:bob=builder");
        using var alice = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await server.WaitUntilUpAsync(alice);
        alice.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("alice:wonderland"u8.ToArray()));
        using var bob = new HttpClient { BaseAddress = alice.BaseAddress };
        bob.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("bob:builder"u8.ToArray()));

        var answered = 0;
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 50 && limited is null; i++)
        {
            var response = await alice.GetAsync("norns", TestContext.Current.CancellationToken);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                answered++;
                response.Dispose();
            }
        }

        using var bobs = await bob.GetAsync("norns", TestContext.Current.CancellationToken);
        using var events = await alice.PostAsync("events", new ByteArrayContent([1]), TestContext.Current.CancellationToken);

        Assert.NotNull(limited);
        using (limited)
        {
            Assert.InRange(answered, 3, 49);
            Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After of at least a second");
            Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
            var problem = await limited.ReadJsonAsync();
            Assert.Equal("rateLimit", problem.GetProperty("rule").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, bobs.StatusCode); // another owner is not slowed
        Assert.NotEqual(HttpStatusCode.TooManyRequests, events.StatusCode); // /events is not limited per owner
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Posts a device-status event of mac:112233445566 as msgpack, signed with the events secret these tests start the server with (process-secret).</summary>
    private static async Task<HttpResponseMessage> PostSignedEventAsync(HttpClient client)
    {
        var body = WrpMsgPack.Encode(TestEvents.DeviceStatus("mac:112233445566"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/msgpack");
        EventSigning.SignEvent(request, "process-secret", body);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
