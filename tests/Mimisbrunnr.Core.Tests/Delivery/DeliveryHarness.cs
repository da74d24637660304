using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Testing.Diagnostics;
using Mimisbrunnr.Tests.Dispatch;

namespace Mimisbrunnr.Tests.Delivery;

/// <summary>
/// The real delivery stack from <c>AddMimisbrunnr()</c> (HTTP client factory, guarded handler, Polly, dispatcher pool),
/// a fake registry, and a Kestrel sink on 127.0.0.1. Loopback is allowed explicitly unless a test says otherwise.
/// </summary>
internal sealed class DeliveryHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private DeliveryHarness(SinkServer sink, FakeNornRegistry registry, ServiceProvider services)
    {
        Sink = sink;
        Registry = registry;
        _services = services;
        Recorder = new MetricRecorder(services.GetRequiredService<MimisbrunnrMetrics>().Meter);
    }

    public SinkServer Sink { get; }

    public FakeNornRegistry Registry { get; }

    public MetricRecorder Recorder { get; }

    public IServiceProvider Services => _services;

    public HttpNornSender Sender => _services.GetServices<INornDestinationSender>().OfType<HttpNornSender>().Single();

    public NornDispatcherPool Pool => _services.GetRequiredService<NornDispatcherPool>();

    public static async Task<DeliveryHarness> StartAsync(Action<MimisbrunnrOptions>? configure = null)
    {
        var sink = await SinkServer.StartAsync(TestContext.Current.CancellationToken);
        var registry = new FakeNornRegistry();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMimisbrunnr(options =>
        {
            options.Destinations.AllowPrivateNetworks = true; // the sink listens on loopback
            options.Delivery.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
            options.Delivery.Retries = 3;
            options.Delivery.Timeout = TimeSpan.FromSeconds(10);
            configure?.Invoke(options);
        });
        services.AddSingleton<INornRegistry>(registry);
        services.AddSingleton<INornRemoval>(registry);
        return new DeliveryHarness(sink, registry, services.BuildServiceProvider(validateScopes: true));
    }

    public RegisteredNorn AddNorn(string path, string? secret = "s3cret", string contentType = DeliveryContentTypes.Json, string? failurePath = null, string? host = null)
    {
        var url = host is null ? Sink.Url(path).ToString() : new UriBuilder(Sink.Url(path)) { Host = host }.Uri.ToString();
        var failureUrl = failurePath is null ? null : Sink.Url(failurePath).ToString();
        return Registry.Add(TestNorns.Http(TestData.Device, url, secret: secret, failureUrl: failureUrl, contentType: contentType));
    }

    public ValueTask<DeliveryOutcome> SendAsync(RegisteredNorn norn, params Mimisbrunnr.Routing.RoutedEvent[] events) =>
        Sender.SendAsync(norn.Norn, events, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Sink.DisposeAsync();
        Recorder.Dispose();
    }

    /// <summary>Checks both signatures of a request with the BCL's HMAC classes.</summary>
    public static void AssertSigned(RecordedRequest request, string secret, byte[]? standardWebhooksKey = null)
    {
        var sha1 = "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), request.Body));
        Assert.Equal(sha1, request.Header("X-Webpa-Signature"));
        Assert.Equal(sha1, request.Header("X-Codex-Signature"));

        var id = request.Header("webhook-id");
        var timestamp = request.Header("webhook-timestamp");
        Assert.NotNull(id);
        Assert.NotNull(timestamp);
        var seconds = long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds());
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(request.Body).ToArray();
        var key = standardWebhooksKey ?? Encoding.UTF8.GetBytes(secret);
        Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)), request.Header("webhook-signature"));
    }
}
