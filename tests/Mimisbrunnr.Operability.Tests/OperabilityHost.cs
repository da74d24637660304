using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Hosting;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>
/// A real Kestrel host on 127.0.0.1 with Mimisbrunnr mapped (in-memory store, loopback destinations allowed) and the test
/// authentication: the <c>X-Test-User</c> header names the caller.
/// </summary>
internal sealed class OperabilityHost : IAsyncDisposable
{
    public const string EventsSecret = "events-secret";

    private readonly WebApplication _app;

    private OperabilityHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public WebApplication App => _app;

    public static async Task<OperabilityHost> StartAsync(
        Action<MimisbrunnrOptions>? engine = null,
        Action<IServiceCollection>? services = null,
        Action<IMimisbrunnrBuilder>? mimisbrunnr = null,
        Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        var engineBuilder = builder.Services
            .AddMimisbrunnr(options =>
            {
                options.Destinations.AllowPrivateNetworks = true;
                options.Delivery.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
                engine?.Invoke(options);
            })
            .UseInMemoryStore()
            .ConfigureEvents(options => options.Secret = EventsSecret);
        mimisbrunnr?.Invoke(engineBuilder);
        builder.Services.AddTestUserAuthentication();
        var app = builder.Build();
        app.UseAuthentication();
        app.MapMimisbrunnr();
        map?.Invoke(app);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new OperabilityHost(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? user, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (user is not null)
        {
            request.Headers.Add(TestUserAuthenticationHandler.UserHeader, user);
        }

        return await Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async Task<string> CreateNornAsync(string user, string device, Uri url, string? filterEvent = null)
    {
        using var response = await SendAsync(HttpMethod.Post, "norns", user, Wrp.Norn(device, url, filterEvent: filterEvent));
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        using var json = System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetBytes(text));
        return json.RootElement.GetProperty("id").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
