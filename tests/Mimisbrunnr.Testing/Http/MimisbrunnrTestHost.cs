using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Hosting;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing.Diagnostics;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Testing.Http;

/// <summary>
/// The test host: a real Kestrel app on 127.0.0.1 and a free port, built with <c>AddMimisbrunnr()</c> (in-memory store
/// unless <see cref="MimisbrunnrTestHostOptions.Mimisbrunnr"/> chooses another), loopback destinations allowed, fast
/// retries, the events secret <see cref="EventsSecret"/>, <see cref="TestUserAuthenticationHandler"/> (the
/// <c>X-Test-User</c> header names the caller) and <c>MapMimisbrunnr(prefix)</c>. Its logs and metrics are recorded.
/// </summary>
/// <example>
/// <code>
/// await using var host = await MimisbrunnrTestHost.StartAsync(o => o.Engine += e => e.MaxTtl = 600);
/// using var created = await host.SendAsync(HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest(device, url).ToJson());
/// Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(device)));
/// </code>
/// </example>
public sealed class MimisbrunnrTestHost : IAsyncDisposable
{
    /// <summary>The <c>Mimisbrunnr:Events:Secret</c> of every test host unless a test changes it.</summary>
    public const string EventsSecret = "events-secret";

    /// <summary>The header that names the caller.</summary>
    public const string UserHeader = TestUserAuthenticationHandler.UserHeader;

    private readonly WebApplication _app;
    private readonly string _name;
    private readonly List<HttpClient> _clients = [];
    private bool _stopped;

    private MimisbrunnrTestHost(WebApplication app, Uri baseAddress, string? name)
    {
        _app = app;
        _name = name ?? baseAddress.ToString();
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
        Metrics = MetricRecorder.For(app.Services);
    }

    /// <summary>The root of the host, <c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The host's container.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>An anonymous client with <see cref="BaseAddress"/>.</summary>
    public HttpClient Client { get; }

    /// <summary>Everything the host logged at or above <see cref="MimisbrunnrTestHostOptions.MinimumLogLevel"/>.</summary>
    public FakeLogCollector Logs => _app.Services.GetRequiredService<FakeLogCollector>();

    /// <summary>The host's Mimisbrunnr metrics, recorded since it was built.</summary>
    public MetricRecorder Metrics { get; }

    /// <summary>The host's norn store.</summary>
    public INornStore Store => _app.Services.GetRequiredService<INornStore>();

    /// <summary>The host's norn index (what it routes events with).</summary>
    internal NornRegistry Registry => _app.Services.GetRequiredService<NornRegistry>();

    /// <summary>Builds and starts a host.</summary>
    /// <param name="configure">Changes the defaults (store, options, services, app).</param>
    /// <returns>The running host.</returns>
    public static async Task<MimisbrunnrTestHost> StartAsync(Action<MimisbrunnrTestHostOptions>? configure = null)
    {
        var options = new MimisbrunnrTestHostOptions();
        configure?.Invoke(options);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().SetMinimumLevel(options.MinimumLogLevel).AddFakeLogging();
        if (options.Clock is { } clock)
        {
            builder.Services.AddSingleton(clock);
        }

        options.Services?.Invoke(builder.Services);
        var mimisbrunnr = builder.Services
            .AddMimisbrunnr(engine =>
            {
                engine.Destinations.AllowPrivateNetworks = true; // sinks listen on loopback
                engine.Delivery.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
                engine.AllowUnencryptedSecrets = true; // tests of secrets at rest configure keys (or refuse) themselves
                options.Engine?.Invoke(engine);
            })
            .ConfigureEvents(events =>
            {
                events.Secret = EventsSecret;
                options.Events?.Invoke(events);
            });
        options.Mimisbrunnr?.Invoke(mimisbrunnr);
        (options.Authentication ?? (services => services.AddTestUserAuthentication())).Invoke(builder.Services);

        var app = builder.Build();
        try
        {
            options.App?.Invoke(app);
            app.UseAuthentication();
            app.MapMimisbrunnr(options.Prefix);
            options.Map?.Invoke(app);
            await app.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new MimisbrunnrTestHost(app, new Uri(address.TrimEnd('/') + "/"), options.Name);
    }

    /// <summary>A client whose requests name <paramref name="user"/> as the caller (anonymous when null).</summary>
    /// <param name="user">The caller.</param>
    /// <returns>The client, disposed with the host.</returns>
    public HttpClient ClientFor(string? user)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (user is not null)
        {
            client.DefaultRequestHeaders.Add(UserHeader, user);
        }

        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>A request to a path of the host, as <paramref name="user"/>, with an optional JSON body.</summary>
    /// <param name="method">The method.</param>
    /// <param name="path">The path relative to <see cref="BaseAddress"/>, for example <c>norns?limit=3</c>.</param>
    /// <param name="user">The caller, or null for an anonymous request.</param>
    /// <param name="json">The JSON body, if any.</param>
    /// <returns>The request.</returns>
    public static HttpRequestMessage CreateRequest(HttpMethod method, string path, string? user, string? json = null)
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

    /// <summary>Sends <see cref="CreateRequest"/> with the anonymous <see cref="Client"/>.</summary>
    /// <param name="method">The method.</param>
    /// <param name="path">The path relative to <see cref="BaseAddress"/>.</param>
    /// <param name="user">The caller, or null for an anonymous request.</param>
    /// <param name="json">The JSON body, if any.</param>
    /// <returns>The response.</returns>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? user, string? json = null)
    {
        using var request = CreateRequest(method, path, user, json);
        return await Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary><c>POST /norns</c> as <paramref name="user"/>.</summary>
    /// <param name="user">The caller.</param>
    /// <param name="request">The registration.</param>
    /// <returns>The status and the norn's id (null unless 201 or 200).</returns>
    public async Task<(HttpStatusCode Status, string? Id)> CreateNornAsync(string user, NornRequest request)
    {
        using var response = await SendAsync(HttpMethod.Post, "norns", user, request.ToJson());
        var id = response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK
            ? (await response.ReadJsonAsync()).GetProperty("id").GetString()
            : null;
        return (response.StatusCode, id);
    }

    /// <summary><c>PUT /norns/{id}</c> as <paramref name="user"/>.</summary>
    /// <param name="user">The caller.</param>
    /// <param name="id">The norn id.</param>
    /// <param name="request">The new registration.</param>
    /// <returns>The status.</returns>
    public async Task<HttpStatusCode> UpdateNornAsync(string user, string id, NornRequest request)
    {
        using var response = await SendAsync(HttpMethod.Put, $"norns/{id}", user, request.ToJson());
        return response.StatusCode;
    }

    /// <summary><c>DELETE /norns/{id}</c> as <paramref name="user"/>.</summary>
    /// <param name="user">The caller.</param>
    /// <param name="id">The norn id.</param>
    /// <returns>The status.</returns>
    public async Task<HttpStatusCode> DeleteNornAsync(string user, string id)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"norns/{id}", user);
        return response.StatusCode;
    }

    /// <summary>POSTs a body to <c>/events</c> the way Caduceus does, signed with <paramref name="secret"/>.</summary>
    /// <param name="body">The exact body.</param>
    /// <param name="contentType">Its content type.</param>
    /// <param name="secret">The signing secret; null sends it unsigned.</param>
    /// <returns>The response.</returns>
    public async Task<HttpResponseMessage> PostEventAsync(byte[] body, string contentType = "application/msgpack", string? secret = EventsSecret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (secret is not null)
        {
            EventSigning.SignEvent(request, secret, body);
        }

        return await Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>POSTs a signed WRP message to <c>/events</c>, encoded as msgpack (or JSON), and returns the status.</summary>
    /// <param name="message">The message.</param>
    /// <param name="contentType"><c>application/msgpack</c> or <c>application/json</c>.</param>
    /// <returns>The status (202 when accepted).</returns>
    public async Task<HttpStatusCode> PostEventAsync(WrpMessage message, string contentType = "application/msgpack")
    {
        var body = contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            ? WrpJson.Encode(message)
            : WrpMsgPack.Encode(message);
        using var response = await PostEventAsync(body, contentType);
        return response.StatusCode;
    }

    /// <summary>Stops the host (its dispatchers drain what they hold); it can still be read, then disposed.</summary>
    /// <returns>A task that completes when the host has stopped.</returns>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Stops the host if needed and releases it.</summary>
    /// <returns>A task that completes when the host is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        Client.Dispose();
        await StopAsync();
        Metrics.Dispose();
        await _app.DisposeAsync();
    }

    /// <inheritdoc />
    public override string ToString() => _name;
}
