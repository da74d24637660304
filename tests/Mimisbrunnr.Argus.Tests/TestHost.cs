using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Hosting;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>
/// One host instance as the sample server builds it: a real Kestrel server on 127.0.0.1, its own container, options
/// from configuration (<c>BindConfiguration</c> and <c>UseArgusStore(Mimisbrunnr:Argus)</c>), private networks allowed
/// (the sinks are on loopback), and a test authentication scheme: the <c>X-Test-User</c> header names the caller.
/// (Pattern of the PostgreSQL tests' host; to be folded into a shared test host.)
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    public const string EventsSecret = "events-secret";
    public const string UserHeader = TestUserAuthenticationHandler.UserHeader;

    private readonly WebApplication _app;

    private TestHost(string name, WebApplication app, Uri baseAddress)
    {
        Name = name;
        _app = app;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public string Name { get; }

    public HttpClient Client { get; }

    public ArgusNornStore Store => (ArgusNornStore)_app.Services.GetRequiredService<INornStore>();

    public static async Task<TestHost> StartAsync(string name, Uri argus, string bucket, TimeSpan pullInterval)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mimisbrunnr:Destinations:AllowPrivateNetworks"] = "true",
            ["Mimisbrunnr:Delivery:RetryBaseDelay"] = "00:00:00.010",
            ["Mimisbrunnr:Events:Secret"] = EventsSecret,
            ["Mimisbrunnr:Argus:Address"] = argus.ToString(),
            ["Mimisbrunnr:Argus:Bucket"] = bucket,
            ["Mimisbrunnr:Argus:Owner"] = Stores.Owner,
            ["Mimisbrunnr:Argus:PullInterval"] = pullInterval.ToString("c"),
        });
        builder.Services.AddMimisbrunnr()
            .BindConfiguration(builder.Configuration)
            .UseArgusStore(builder.Configuration.GetSection(ArgusStoreOptions.SectionName));
        builder.Services.AddTestUserAuthentication();
        var app = builder.Build();
        app.UseAuthentication();
        app.MapMimisbrunnr();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestHost(name, app, new Uri(address));
    }

    /// <summary>Whether this instance's index holds the norn (so it routes events to it).</summary>
    public bool Knows(string id) => _app.Services.GetRequiredService<NornRegistry>().Find(id) is not null;

    /// <summary>POST /norns; returns the status and the id (when the answer has one).</summary>
    public async Task<(int Status, string? Id)> CreateAsync(string user, string deviceId, Uri url, string secret = "norn-secret")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "norns") { Content = Json(deviceId, url, secret) };
        request.Headers.Add(UserHeader, user);
        using var response = await Client.SendAsync(request);
        return ((int)response.StatusCode, await IdOfAsync(response));
    }

    /// <summary>DELETE /norns/{id}; returns the status.</summary>
    public async Task<int> DeleteAsync(string user, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"norns/{id}");
        request.Headers.Add(UserHeader, user);
        using var response = await Client.SendAsync(request);
        return (int)response.StatusCode;
    }

    /// <summary>POST /events with a signed WRP msgpack event of the device; returns the status.</summary>
    public async Task<int> PostEventAsync(string deviceId, string transaction)
    {
        var body = WrpMsgPack.Encode(new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = $"{deviceId}/parodus",
            Destination = $"event:device-status/{deviceId}/online",
            TransactionUuid = transaction,
            ContentType = "application/json",
            Payload = Encoding.UTF8.GetBytes("{\"status\":\"online\"}"),
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/msgpack");
        request.Headers.Add("X-Webpa-Signature", "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(EventsSecret), body)));
        using var response = await Client.SendAsync(request);
        return (int)response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public override string ToString() => Name;

    private static StringContent Json(string deviceId, Uri url, string secret) =>
        new(
            new JsonObject
            {
                ["deviceId"] = deviceId,
                ["ttl"] = 3600,
                ["destination"] = new JsonObject { ["http"] = new JsonObject { ["url"] = url.ToString(), ["secret"] = secret } },
            }.ToJsonString(),
            Encoding.UTF8,
            "application/json");

    private static async Task<string?> IdOfAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (string.IsNullOrEmpty(text) || !response.IsSuccessStatusCode)
        {
            return null;
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.TryGetProperty("id", out var id) ? id.GetString() : null;
    }
}
