using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Benchmarks.Dispatch;

/// <summary>
/// In-process fan-out: device events offered to every norn of the device (<see cref="INornEventSink.TryEnqueue"/>),
/// through each norn's channel and worker, to a sender that does nothing. One operation is one delivery (one event to
/// one norn), measured end to end: the benchmark returns when the sender has seen all of them.
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    /// <summary>Deliveries per invocation, whatever the fan-out: events × norns.</summary>
    public const int Deliveries = 100_000;

    private NornDispatcherPool _pool = null!;
    private NoOpSender _sender = null!;
    private RegisteredNorn[] _norns = null!;
    private RoutedEvent[] _events = null!;

    /// <summary>How many norns the device has.</summary>
    [Params(1, 10, 100)]
    public int NornsPerDevice { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var registry = new BenchmarkRegistry();
        var options = new MimisbrunnrOptions();
        options.Delivery.QueueSize = Deliveries; // never a cut-off: this measures the path, not the policy
        options.Delivery.Workers = 1;
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        _sender = new NoOpSender();
        _pool = new NornDispatcherPool(
            registry, [_sender], new NoOpNotifier(), new NoRemoval(), new FixedOptions(options), new MimisbrunnrMetrics(meters), TimeProvider.System,
            NullLogger<NornDispatcherPool>.Instance);

        const string device = "mac:112233445566";
        var now = DateTimeOffset.UtcNow;
        _norns = Enumerable.Range(0, NornsPerDevice).Select(i => registry.Add(new Norn
        {
            Id = NornIdentity.Derive(device, $"https://consumer{i}.example/hook"),
            DeviceId = device,
            Owner = "benchmark-owner",
            Destination = new NornDestination { Http = new HttpDestination { Url = $"https://consumer{i}.example/hook" } },
            ExpiresAt = now.AddDays(1),
            CreatedAt = now,
            UpdatedAt = now,
        })).ToArray();
        _events = Enumerable.Range(0, Deliveries / NornsPerDevice).Select(i => new RoutedEvent(
            new WrpMessage
            {
                Type = MessageType.SimpleEvent,
                Source = device + "/parodus",
                Destination = $"event:device-status/{device}/online",
                TransactionUuid = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Payload = [1, 2, 3],
            },
            DeviceId.Parse(device),
            $"device-status/{device}/online",
            now)).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _pool.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Deliveries)]
    public async Task FanOut()
    {
        var done = _sender.Expect(Deliveries);
        foreach (var routedEvent in _events)
        {
            foreach (var norn in _norns)
            {
                if (_pool.TryEnqueue(norn, routedEvent) != EnqueueOutcome.Enqueued)
                {
                    throw new InvalidOperationException("dropped: the benchmark must not cut off");
                }
            }
        }

        await done;
    }

    private sealed class NoOpSender : INornDestinationSender
    {
        private TaskCompletionSource _done = new();
        private int _remaining;

        public string Kind => DestinationKinds.Http;

        public int MaxBatchSize => 1;

        public Task Expect(int count)
        {
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _remaining, count);
            return _done.Task;
        }

        public ValueTask<DeliveryOutcome> SendAsync(Norn norn, IReadOnlyList<RoutedEvent> batch, CancellationToken cancellationToken)
        {
            if (Interlocked.Add(ref _remaining, -batch.Count) == 0)
            {
                _done.TrySetResult();
            }

            return ValueTask.FromResult(DeliveryOutcome.Delivered);
        }
    }

    private sealed class NoOpNotifier : INornCutOffNotifier
    {
        public ValueTask NotifyAsync(Norn norn, CutOffNotice notice, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class FixedOptions(MimisbrunnrOptions value) : IOptionsMonitor<MimisbrunnrOptions>
    {
        public MimisbrunnrOptions CurrentValue => value;

        public MimisbrunnrOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<MimisbrunnrOptions, string?> listener) => null;
    }

    private sealed class BenchmarkRegistry : INornRegistry
    {
        private readonly ConcurrentDictionary<string, RegisteredNorn> _norns = new();

        public event EventHandler<NornRegistryChangedEventArgs>? Changed;

        public int Count => _norns.Count;

        public RegisteredNorn Add(Norn norn)
        {
            var registered = new RegisteredNorn(norn);
            _norns[norn.Id] = registered;
            Changed?.Invoke(this, new NornRegistryChangedEventArgs(norn.Id, removed: false));
            return registered;
        }

        public DeviceNorns GetByDevice(DeviceId deviceId) => new([.. _norns.Values]);

        public RegisteredNorn? Find(string id) => _norns.GetValueOrDefault(id);

        public ValueTask RemoveAsync(string id, CancellationToken cancellationToken = default)
        {
            _norns.TryRemove(id, out _);
            return ValueTask.CompletedTask;
        }
    }
}
