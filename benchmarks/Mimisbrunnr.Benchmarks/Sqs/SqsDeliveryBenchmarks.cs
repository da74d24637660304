using Amazon.Runtime;
using Amazon.SQS;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Benchmarks.Sqs;

/// <summary>
/// SQS delivery throughput against the emulator (fauxqs, started by tools/start-fauxqs.sh, which exports
/// <c>MIMISBRUNNR_SQS_SERVICE_URL</c>): 1,000 events buffered for one norn, delivered through the dispatcher and the
/// real SQS sender, with <c>SendMessageBatch</c> of up to 10 (<see cref="MaxBatchSize"/> = 10) or one
/// <c>SendMessage</c> per event (1). One operation is one event delivered; an invocation returns when SQS has
/// accepted all 1,000.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 10, iterationCount: 30)]
[MemoryDiagnoser]
public class SqsDeliveryBenchmarks
{
    /// <summary>Events per invocation.</summary>
    public const int Events = 1000;

    private const string Device = "mac:112233445566";
    private ServiceProvider _services = null!;
    private NornDispatcherPool _pool = null!;
    private CountingSender _sender = null!;
    private RegisteredNorn _norn = null!;
    private RoutedEvent[] _events = null!;
    private AmazonSQSClient _admin = null!;
    private string _queueUrl = null!;

    /// <summary>The most events per request: 10 batches with SendMessageBatch, 1 sends one message per request.</summary>
    [Params(1, 10)]
    public int MaxBatchSize { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _services.Dispose();
        _admin.Dispose();
    }

    [IterationCleanup]
    public void EmptyQueue() => _admin.PurgeQueueAsync(_queueUrl).GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task Deliver()
    {
        var done = _sender.Expect(Events);
        foreach (var routedEvent in _events)
        {
            if (_pool.TryEnqueue(_norn, routedEvent) != EnqueueOutcome.Enqueued)
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

        var serviceUrl = new Uri(url);
        _admin = new AmazonSQSClient(
            new BasicAWSCredentials("AKIDBENCH", "bench"),
            new AmazonSQSConfig { ServiceURL = url, AuthenticationRegion = "us-east-1", IgnoreConfiguredEndpointUrls = true });
        var name = $"bench-{MaxBatchSize}-{Guid.NewGuid():N}";
        await _admin.CreateQueueAsync(name).ConfigureAwait(false);
        _queueUrl = $"{url.TrimEnd('/')}/000000000000/{name}";

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMimisbrunnr(o => o.Delivery.QueueSize = 2 * Events)
            .AddSqsDestination(o =>
            {
                o.ServiceUrl = serviceUrl;
                o.MaxBatchSize = MaxBatchSize;
            });
        _services = services.BuildServiceProvider();
        var registered = await _services.GetRequiredService<NornService>().CreateOrUpdateAsync(
            "benchmark",
            new NornRequest
            {
                DeviceId = Device,
                Ttl = 86_400,
                Destination = new DestinationRequest
                {
                    Sqs = new SqsDestinationRequest { QueueUrl = _queueUrl, AccessKeyId = "AKIDBENCH", SecretAccessKey = "bench" },
                },
            }).ConfigureAwait(false);
        var registry = _services.GetRequiredService<INornRegistry>();
        _norn = registry.Find(registered.Norn.Id)!;

        var sqs = _services.GetServices<INornDestinationSender>().Single(s => s.Kind == DestinationKinds.Sqs);
        _sender = new CountingSender(sqs);
        _pool = new NornDispatcherPool(
            registry,
            [_sender],
            new NoNotices(),
            _services.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>(),
            _services.GetRequiredService<MimisbrunnrMetrics>(),
            TimeProvider.System,
            NullLogger<NornDispatcherPool>.Instance);

        var now = DateTimeOffset.UtcNow;
        _events = Enumerable.Range(0, Events).Select(i => new RoutedEvent(
            new WrpMessage
            {
                Type = MessageType.SimpleEvent,
                Source = Device + "/parodus",
                Destination = $"event:device-status/{Device}/online",
                TransactionUuid = "txn-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ContentType = "application/json",
                Payload = System.Text.Encoding.UTF8.GetBytes("{\"status\":\"online\",\"boot-time\":1542834188}"),
                Metadata = new Dictionary<string, string> { ["/boot-time"] = "1542834188", ["/hw-model"] = "TG1682" },
            },
            DeviceId.Parse(Device),
            $"device-status/{Device}/online",
            now)).ToArray();
    }

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

        public async ValueTask<DeliveryOutcome> SendAsync(RegisteredNorn norn, IReadOnlyList<RoutedEvent> batch, CancellationToken cancellationToken)
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
        public ValueTask NotifyAsync(RegisteredNorn norn, CutOffNotice notice, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
