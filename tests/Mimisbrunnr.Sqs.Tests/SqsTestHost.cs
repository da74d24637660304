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
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Hosting;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Wrp;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>
/// A real Kestrel host on 127.0.0.1 with Mimisbrunnr mapped (in-memory store unless one is given), the SQS destination
/// sending to <c>serviceUrl</c>, and a test authentication scheme (<c>X-Test-User</c> names the caller). Logs go to a
/// <see cref="FakeLogCollector"/> so that tests can read them.
/// </summary>
internal sealed class SqsTestHost : IAsyncDisposable
{
    public const string EventsSecret = "events-secret";
    public const string UserHeader = TestUserAuthenticationHandler.UserHeader;
    public const string Owner = "alice";

    private readonly WebApplication _app;

    private SqsTestHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public FakeLogCollector Logs => _app.Services.GetRequiredService<FakeLogCollector>();

    public static async Task<SqsTestHost> StartAsync(
        Uri serviceUrl,
        Action<SqsDestinationOptions>? sqs = null,
        Action<MimisbrunnrOptions>? engine = null,
        INornStore? store = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddFakeLogging();
        builder.Services
            .AddMimisbrunnr(options =>
            {
                options.Destinations.AllowPrivateNetworks = true; // the failure URL sink is on 127.0.0.1
                options.Delivery.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
                options.Delivery.Timeout = TimeSpan.FromSeconds(10);
                engine?.Invoke(options);
            })
            .ConfigureEvents(options => options.Secret = EventsSecret)
            .AddSqsDestination(options =>
            {
                options.ServiceUrl = serviceUrl;
                sqs?.Invoke(options);
            });
        if (store is not null)
        {
            builder.Services.Replace(ServiceDescriptor.Singleton(store));
        }

        builder.Services.AddTestUserAuthentication();
        var app = builder.Build();
        app.UseAuthentication();
        app.MapMimisbrunnr();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SqsTestHost(app, new Uri(address));
    }

    /// <summary>A norn request for an SQS queue.</summary>
    public static string SqsNorn(
        string deviceId,
        string queueUrl,
        bool credentials = true,
        int? delaySeconds = null,
        Uri? failureUrl = null,
        string? secret = null,
        string accessKeyId = SqsEmulator.AccessKeyId,
        string? sessionToken = null)
    {
        var sqs = new JsonObject { ["queueUrl"] = queueUrl };
        if (credentials)
        {
            sqs["accessKeyId"] = accessKeyId;
            sqs["secretAccessKey"] = SqsEmulator.SecretAccessKey;
        }

        if (sessionToken is not null)
        {
            sqs["sessionToken"] = sessionToken;
        }

        if (delaySeconds is not null)
        {
            sqs["delaySeconds"] = delaySeconds;
        }

        if (failureUrl is not null)
        {
            sqs["failureUrl"] = failureUrl.ToString();
        }

        if (secret is not null)
        {
            sqs["secret"] = secret;
        }

        return new JsonObject
        {
            ["deviceId"] = deviceId,
            ["ttl"] = 3600,
            ["destination"] = new JsonObject { ["sqs"] = sqs },
        }.ToJsonString();
    }

    /// <summary>Registers a norn as <see cref="Owner"/>; returns the status and the parsed answer.</summary>
    public async Task<(System.Net.HttpStatusCode Status, JsonElement Body)> RegisterAsync(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "norns") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add(UserHeader, Owner);
        using var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(string.IsNullOrEmpty(text) ? "{}" : text);
        return (response.StatusCode, document.RootElement.Clone());
    }

    /// <summary>Posts a signed WRP msgpack event; returns the status.</summary>
    public async Task<System.Net.HttpStatusCode> PostEventAsync(WrpMessage message)
    {
        var body = WrpMsgPack.Encode(message);
        using var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/msgpack");
        request.Headers.Add("X-Webpa-Signature", "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(EventsSecret), body)));
        using var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    public static WrpMessage Event(string device, string eventName = "online", string transaction = "txn-1", string? payload = null) => new()
    {
        Type = MessageType.SimpleEvent,
        Source = $"{device}/parodus",
        Destination = $"event:device-status/{device}/{eventName}",
        TransactionUuid = transaction,
        ContentType = "application/json",
        Payload = Encoding.UTF8.GetBytes(payload ?? "{\"status\":\"" + eventName + "\"}"),
        Metadata = new Dictionary<string, string> { ["/boot-time"] = "1542834188" },
    };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
