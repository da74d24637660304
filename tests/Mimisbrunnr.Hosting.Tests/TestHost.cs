using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>
/// A real Kestrel host on 127.0.0.1 with Mimisbrunnr mapped, a SQLite file store, and a test authentication scheme:
/// the <c>X-Test-User</c> header names the caller (no header: anonymous).
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    public const string EventsSecret = "events-secret";
    public const string UserHeader = TestUserAuthenticationHandler.UserHeader;

    private readonly WebApplication _app;

    private TestHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestHost> StartAsync(
        string databasePath,
        Action<MimisbrunnrOptions>? engine = null,
        Action<MimisbrunnrEventsOptions>? events = null,
        Action<IServiceCollection>? services = null,
        string prefix = "")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        builder.Services
            .AddMimisbrunnr(options =>
            {
                options.Destinations.AllowPrivateNetworks = true;
                options.Delivery.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
                engine?.Invoke(options);
            })
            .UseSqliteStore($"Data Source={databasePath}")
            .ConfigureEvents(options =>
            {
                options.Secret = EventsSecret;
                events?.Invoke(options);
            });
        builder.Services.AddTestUserAuthentication();
        var app = builder.Build();
        app.UseAuthentication();
        app.MapMimisbrunnr(prefix);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestHost(app, new Uri(address));
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string? user, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (user is not null)
        {
            request.Headers.Add(UserHeader, user);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? user, string? json = null) =>
        Client.SendAsync(Request(method, path, user, json));

    public Task<HttpResponseMessage> PostEventAsync(byte[] body, string contentType = "application/msgpack", string? secret = EventsSecret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (secret is not null)
        {
            request.Headers.Add("X-Webpa-Signature", Sign(secret, body));
        }

        return Client.SendAsync(request);
    }

    public static string Sign(string secret, byte[] body) =>
        "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
