using System.Net;
using Amazon.Runtime;
using Amazon.SQS;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Benchmarks.Dispatch;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Benchmarks.Sqs;

/// <summary>
/// SQS delivery throughput against the emulator (fauxqs, started by tools/start-fauxqs.sh, which exports
/// <c>MIMISBRUNNR_SQS_SERVICE_URL</c>): 2,000 events buffered at once, spread over <see cref="Norns"/> norns (one
/// device and one queue each), delivered through the dispatcher and the real SQS sender, with <c>SendMessageBatch</c>
/// of up to 10 (<see cref="MaxBatchSize"/> = 10) or one <c>SendMessage</c> per event (1). One operation is one event
/// delivered; an invocation returns when SQS has accepted all 2,000.
/// </summary>
/// <remarks>
/// <para>
/// One norn is one worker sending request after request: the latency of a round trip bounds it. Several norns send
/// at the same time, as a host serving many devices does: then the CPU of the machine (shared by the host and the
/// emulator here) bounds it, and that is the host's throughput.
/// </para>
/// <para>
/// <see cref="RoundTripMs"/> puts a network round trip between the sender and the emulator (<see cref="LatencyProxy"/>):
/// 0 is loopback, where a request costs only CPU; 2 ms is about what a client in the same AWS region as its queue
/// sees. Batching saves round trips, so the latency is what it is for.
/// </para>
/// <para>
/// Warm-up is long on purpose: a fresh process takes some 25,000 batched events (the SDK's and the emulator's JITs)
/// before a batch costs what it costs from then on, 4x less than at the start; 20 warm-up iterations are 40,000 events.
/// </para>
/// </remarks>
[SimpleJob(launchCount: 1, warmupCount: 20, iterationCount: 20)]
[MemoryDiagnoser]
public class SqsDeliveryBenchmarks
{
    /// <summary>Events per invocation.</summary>
    public const int Events = 2000;

    private ServiceProvider _services = null!;
    private NornDispatcherPool _pool = null!;
    private CountingSender _sender = null!;
    private (RegisteredNorn Norn, RoutedEvent Event)[] _events = null!;
    private AmazonSQSClient _admin = null!;
    private string[] _queueUrls = null!;
    private LatencyProxy? _proxy;

    /// <summary>The most events per request: 10 batches with SendMessageBatch, 1 sends one message per request.</summary>
    [Params(1, 10)]
    public int MaxBatchSize { get; set; }

    /// <summary>How many norns (devices, queues) the events are spread over; each norn has its own worker.</summary>
    [Params(1, 8)]
    public int Norns { get; set; }

    /// <summary>The network round trip added between the sender and the emulator, in milliseconds (0: none).</summary>
    [Params(0, 2)]
    public int RoundTripMs { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _services.Dispose();
        _admin.Dispose();
        _proxy?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [IterationCleanup]
    public void EmptyQueues() =>
        Task.WhenAll(_queueUrls.Select(url => _admin.PurgeQueueAsync(url))).GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task Deliver()
    {
        var done = _sender.Expect(Events);
        foreach (var (norn, routedEvent) in _events)
        {
            if (_pool.TryEnqueue(norn, routedEvent) != EnqueueOutcome.Enqueued)
            {
                throw new InvalidOperationException("dropped: the benchmark must not cut off");
            }
        }

        await done.ConfigureAwait(false);
    }

    private async Task SetupAsync()
    {
        var url = Environment.GetEnvironmentVariable("MIMISBRUNNR_SQS_SERVICE_URL");
        if (string.IsNullOrEmpty(url))
        {
            throw new InvalidOperationException("MIMISBRUNNR_SQS_SERVICE_URL is not set: source tools/start-fauxqs.sh first.");
        }

        var emulator = new Uri(url);
        _admin = new AmazonSQSClient(
            new BasicAWSCredentials("AKIDBENCH", "bench"),
            new AmazonSQSConfig { ServiceURL = url, AuthenticationRegion = "us-east-1", IgnoreConfiguredEndpointUrls = true });

        // The sender reaches the emulator through the proxy when there is a round trip to add; the queue URLs are
        // then under the proxy's address (fauxqs finds a queue by its name, whatever the host).
        var serviceUrl = emulator;
        if (RoundTripMs > 0)
        {
            _proxy = new LatencyProxy(
                new IPEndPoint(IPAddress.Parse(emulator.Host), emulator.Port), TimeSpan.FromMilliseconds(RoundTripMs / 2.0));
            serviceUrl = new UriBuilder(emulator) { Port = _proxy.Port }.Uri;
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMimisbrunnr(o => o.Delivery.QueueSize = 2 * Events)
            .AddSqsDestination(o =>
            {
                o.ServiceUrl = serviceUrl;
                o.MaxBatchSize = MaxBatchSize;
            });
        _services = services.BuildServiceProvider();
        var registry = _services.GetRequiredService<INornRegistry>();
        var norns = new RegisteredNorn[Norns];
        _queueUrls = new string[Norns];
        for (var n = 0; n < Norns; n++)
        {
            var name = $"bench-{MaxBatchSize}-{n}-{Guid.NewGuid():N}";
            await _admin.CreateQueueAsync(name).ConfigureAwait(false);
            _queueUrls[n] = $"{url.TrimEnd('/')}/000000000000/{name}";
            var nornQueueUrl = $"{serviceUrl.GetLeftPart(UriPartial.Authority)}/000000000000/{name}";
            var registered = await _services.GetRequiredService<NornService>().CreateOrUpdateAsync(
                new("benchmark"),
                new NornRequest
                {
                    DeviceId = Device(n),
                    Ttl = 86_400,
                    Destination = new DestinationRequest
                    {
                        Sqs = new SqsDestinationRequest { QueueUrl = nornQueueUrl, AccessKeyId = "AKIDBENCH", SecretAccessKey = "bench" },
                    },
                }).ConfigureAwait(false);
            norns[n] = registry.Find(registered.Norn.Id)!;
        }

        var sqs = _services.GetServices<INornDestinationSender>().Single(s => s.Kind == DestinationKinds.Sqs);
        _sender = new CountingSender(sqs);
        _pool = new NornDispatcherPool(
            registry,
            [_sender],
            new NoNotices(),
            new NoRemoval(),
            _services.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>(),
            _services.GetRequiredService<MimisbrunnrMetrics>(),
            TimeProvider.System,
            NullLogger<NornDispatcherPool>.Instance);

        // Round robin over the norns, as events of many devices arrive interleaved.
        var now = DateTimeOffset.UtcNow;
        _events = Enumerable.Range(0, Events).Select(i =>
        {
            var n = i % Norns;
            var device = Device(n);
            return (norns[n], new RoutedEvent(
                new WrpMessage
                {
                    Type = MessageType.SimpleEvent,
                    Source = device + "/parodus",
                    Destination = $"event:device-status/{device}/online",
                    TransactionUuid = "txn-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ContentType = "application/json",
                    Payload = System.Text.Encoding.UTF8.GetBytes("{\"status\":\"online\",\"boot-time\":1542834188}"),
                    Metadata = new Dictionary<string, string> { ["/boot-time"] = "1542834188", ["/hw-model"] = "TG1682" },
                },
                DeviceId.Parse(device),
                $"device-status/{device}/online",
                now));
        }).ToArray();
    }

    private static string Device(int n) => "mac:1122334455" + n.ToString("x2", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The real SQS sender, counting what SQS accepted so that an invocation knows when it is done.</summary>
    private sealed class CountingSender(INornDestinationSender inner) : INornDestinationSender
    {
        private TaskCompletionSource _done = new();
        private int _remaining;

        public string Kind => inner.Kind;

        public int MaxBatchSize => inner.MaxBatchSize;

        public Task Expect(int count)
        {
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _remaining, count);
            return _done.Task;
        }

        public async ValueTask<DeliveryOutcome> SendAsync(Norn norn, IReadOnlyList<RoutedEvent> batch, CancellationToken cancellationToken)
        {
            var outcome = await inner.SendAsync(norn, batch, cancellationToken).ConfigureAwait(false);
            if (outcome.FailedCount > 0)
            {
                _done.TrySetException(new InvalidOperationException($"{outcome.FailedCount} event(s) not delivered ({outcome.Status})"));
            }
            else if (Interlocked.Add(ref _remaining, -batch.Count) == 0)
            {
                _done.TrySetResult();
            }

            return outcome;
        }
    }

    private sealed class NoNotices : INornCutOffNotifier
    {
        public ValueTask NotifyAsync(Norn norn, CutOffNotice notice, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
