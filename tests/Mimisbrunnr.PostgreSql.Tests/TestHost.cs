using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Hosting;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.PostgreSql.Tests;

/// <summary>
/// One host instance: a real Kestrel server on 127.0.0.1 with its own container, Mimisbrunnr mapped on a PostgreSQL
/// store, private networks allowed (the sinks are on loopback), and a test authentication scheme: the
/// <c>X-Test-User</c> header names the caller.
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

    public NornRegistry Registry => _app.Services.GetRequiredService<NornRegistry>();

    public PostgreSqlNornStore Store => (PostgreSqlNornStore)_app.Services.GetRequiredService<INornStore>();

    public static async Task<TestHost> StartAsync(
        string name, string connectionString, Action<MimisbrunnrOptions>? engine = null, TimeProvider? clock = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        builder.Services
            .AddMimisbrunnr(options =>
            {
                options.Destinations.AllowPrivateNetworks = true;
                options.Delivery.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
                engine?.Invoke(options);
            })
            .UsePostgreSqlStore(connectionString)
            .ConfigureEvents(options => options.Secret = EventsSecret);
        builder.Services.AddTestUserAuthentication();
        var app = builder.Build();
        app.UseAuthentication();
        app.MapMimisbrunnr();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestHost(name, app, new Uri(address));
    }

    /// <summary>Waits (30 s at most) until both hosts listen for norn changes, so that neither misses the other's writes.</summary>
    public static Task BothListeningAsync(TestHost a, TestHost b, CancellationToken cancellationToken = default) =>
        Task.WhenAll(a.Store.WhenListeningAsync(), b.Store.WhenListeningAsync()).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

    /// <summary>POST /norns; returns the status and the id (when the answer has one).</summary>
    public async Task<(int Status, string? Id)> CreateAsync(string user, string deviceId, Uri url, string secret = "norn-secret")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "norns") { Content = Json(deviceId, url, secret) };
        request.Headers.Add(UserHeader, user);
        using var response = await Client.SendAsync(request);
        return ((int)response.StatusCode, await IdOfAsync(response));
    }

    /// <summary>PUT /norns/{id}; returns the status.</summary>
    public async Task<int> UpdateAsync(string user, string id, string deviceId, Uri url, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"norns/{id}") { Content = Json(deviceId, url, secret) };
        request.Headers.Add(UserHeader, user);
        using var response = await Client.SendAsync(request);
        return (int)response.StatusCode;
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
        var body = WrpMsgPack.Encode(Event(deviceId, transaction));
        using var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/msgpack");
        request.Headers.Add("X-Webpa-Signature", "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(EventsSecret), body)));
        using var response = await Client.SendAsync(request);
        return (int)response.StatusCode;
    }

    public static WrpMessage Event(string deviceId, string transaction) => new()
    {
        Type = MessageType.SimpleEvent,
        Source = $"{deviceId}/parodus",
        Destination = $"event:device-status/{deviceId}/online",
        TransactionUuid = transaction,
        ContentType = "application/json",
        Payload = Encoding.UTF8.GetBytes("{\"status\":\"online\"}"),
    };

    /// <summary>The X-Webpa-Signature a norn with <paramref name="secret"/> puts on <paramref name="body"/>.</summary>
    public static string NornSignature(string secret, byte[] body) =>
        "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body));

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

/// <summary>Polling helpers: wait for a condition with a deadline instead of sleeping.</summary>
internal static class Eventually
{
    /// <summary>Waits until <paramref name="condition"/> holds; returns how long it took, or fails after <paramref name="within"/>.</summary>
    public static async Task<TimeSpan> HoldsAsync(Func<bool> condition, TimeSpan within, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < within, $"not within {within}: {what}");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        return clock.Elapsed;
    }
}
