using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Benchmarks.Norns;
using Mimisbrunnr.Benchmarks.Wrp;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Benchmarks.Delivery;

/// <summary>
/// What one delivered HTTP event costs the sender (<see cref="HttpNornSender"/>: body, headers, webhook id,
/// signatures, retry pipeline, attempt report) against a raw <see cref="HttpClient"/> forwarder that posts the same body
/// with its content type, both through the same in-memory handler that answers 200 without touching the network (so
/// the figures are the sender's own work, not the socket's). The handler completes asynchronously, as a socket does, so
/// every async method on the way pays what it pays in production. The sender gets its clients from the real
/// <see cref="IHttpClientFactory"/> and reveals secrets with the default protector (no keys configured), as
/// <c>AddMimisbrunnr()</c> sets it up; the forwarder keeps one client. The event's JSON body is encoded once, as it is
/// for every norn of a device after the first.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project benchmarks/Mimisbrunnr.Benchmarks -- --filter '*HttpDelivery*' --inProcess --memory</c>.
/// Read the Allocated column: bytes per delivered event.
/// </remarks>
[MemoryDiagnoser]
public class HttpDeliveryBenchmarks
{
    private static readonly Uri SinkUrl = new("https://consumer.example.com/webhooks/mimisbrunnr/1");

    private HttpClient _client = null!;
    private ServiceProvider _services = null!;
    private HttpNornSender _sender = null!;
    private Norn _signed = null!;
    private Norn _unsigned = null!;
    private RoutedEvent[] _batch = [];
    private ReadOnlyMemory<byte> _body;

    [GlobalSetup]
    public void Setup()
    {
        _client = new HttpClient(new OkHandler());
        var services = new ServiceCollection();
        services.AddHttpClient(HttpNornSender.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new OkHandler());
        _services = services.BuildServiceProvider();
        var options = new FixedOptions(new MimisbrunnrOptions());
        _sender = new HttpNornSender(
            _services.GetRequiredService<IHttpClientFactory>(),
            options,
            TimeProvider.System,
            NullLogger<HttpNornSender>.Instance,
            new NornSecretProtector(options));
        var norn = BenchmarkNorns.Make(1, 1);
        _signed = norn with { Destination = norn.Destination with { Http = norn.Destination.Http! with { Url = SinkUrl.OriginalString } } };
        _unsigned = _signed with { Destination = _signed.Destination with { Http = _signed.Destination.Http! with { Secret = null } } };
        var message = WrpMsgPackBenchmarks.BenchmarkMessage();
        var routed = new RoutedEvent(message, DeviceId.Parse("mac:112233445566"), "device-status/foo", DateTimeOffset.UtcNow);
        _body = routed.GetWrpJson();
        _batch = [routed];
        if (_sender.SendAsync(_signed, _batch, CancellationToken.None).AsTask().GetAwaiter().GetResult() != DeliveryOutcome.Delivered)
        {
            throw new InvalidOperationException("The sender did not deliver.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _services.Dispose();
    }

    /// <summary>The raw forwarder: one POST of the cached body with its content type.</summary>
    [Benchmark(Baseline = true)]
    public async Task<HttpStatusCode> RawHttpClient()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, SinkUrl);
        request.Content = new ReadOnlyMemoryContent(_body);
        request.Content.Headers.TryAddWithoutValidation("Content-Type", DeliveryContentTypes.Json);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        return response.StatusCode;
    }

    /// <summary>The sender for a norn without a secret (headers, webhook id, retry pipeline).</summary>
    [Benchmark]
    public ValueTask<DeliveryOutcome> Sender_Unsigned() => _sender.SendAsync(_unsigned, _batch, CancellationToken.None);

    /// <summary>The sender for a norn with a secret (also X-Webpa-Signature and webhook-signature).</summary>
    [Benchmark]
    public ValueTask<DeliveryOutcome> Sender_Signed() => _sender.SendAsync(_signed, _batch, CancellationToken.None);

    private sealed class OkHandler : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Yield();
            return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request };
        }
    }

    private sealed class FixedOptions(MimisbrunnrOptions value) : IOptionsMonitor<MimisbrunnrOptions>
    {
        public MimisbrunnrOptions CurrentValue => value;

        public MimisbrunnrOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<MimisbrunnrOptions, string?> listener) => null;
    }
}
