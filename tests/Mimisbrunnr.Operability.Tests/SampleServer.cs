using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>
/// samples/Mimisbrunnr.Server started as a process (<see cref="SampleServerProcess"/>: Production environment, SQLite in
/// a temporary file) with the configuration keys an operator would pass; one Basic user, <see cref="User"/>.
/// </summary>
internal sealed class SampleServer : IAsyncDisposable
{
    public const string User = "operator";
    public const string Password = "dashboard-password";
    public const string EventsSecret = "sample-events-secret";

    private readonly SampleServerProcess _process;
    private readonly string _directory;

    private SampleServer(SampleServerProcess process, string directory, Uri baseAddress)
    {
        _process = process;
        _directory = directory;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
        Client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
    }

    public Uri BaseAddress { get; }

    /// <summary>A client authenticated as <see cref="User"/>.</summary>
    public HttpClient Client { get; }

    public static async Task<SampleServer> StartAsync(params string[] arguments)
    {
        var directory = Directory.CreateTempSubdirectory("mimisbrunnr-sample-").FullName;
        var port = SampleServerProcess.FreePort();
        var process = SampleServerProcess.Start(
        [
            $"--urls=http://127.0.0.1:{port}",
            $"--ConnectionStrings:Norns=Data Source={Path.Combine(directory, "norns.db")}",
            $"--Mimisbrunnr:Events:Secret={EventsSecret}",
            "--Mimisbrunnr:Destinations:AllowPrivateNetworks=true",
            "--Mimisbrunnr:Delivery:RetryBaseDelay=00:00:00.010",
            $"--Server:Users:{User}={Password}",
            $"--Server:Partners:{User}:0=*", // an operator: receives the events of every partner
            .. arguments,
        ]);
        var server = new SampleServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await process.WaitUntilUpAsync(server.Client, TimeSpan.FromSeconds(90));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary><c>POST /norns</c> as <see cref="User"/>: an HTTP destination with <see cref="TestNorns.Secret"/>.</summary>
    public async Task<HttpResponseMessage> CreateNornAsync(string deviceId, Uri url, string? filterEvent = null)
    {
        var filter = filterEvent is null ? null : new NornFilter { Events = [filterEvent] };
        using var content = new StringContent(
            TestNorns.HttpRequest(deviceId, url, secret: TestNorns.Secret, filter: filter).ToJson(), Encoding.UTF8, "application/json");
        return await Client.PostAsync("norns", content, TestContext.Current.CancellationToken);
    }

    /// <summary>POSTs a msgpack event signed with <see cref="EventsSecret"/> and asserts that it was accepted.</summary>
    public async Task PostEventAsync(WrpMessage message)
    {
        var body = WrpMsgPack.Encode(message);
        using var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/msgpack");
        EventSigning.SignEvent(request, EventsSecret, body);
        using var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    public ValueTask DisposeAsync()
    {
        Client.Dispose();
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary directory.
        }

        return ValueTask.CompletedTask;
    }
}
