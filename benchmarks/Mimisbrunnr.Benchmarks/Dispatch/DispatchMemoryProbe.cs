using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Benchmarks.Norns;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Benchmarks.Dispatch;

/// <summary>
/// What the delivery side (dispatcher pool, per-norn buffers, delivery status) costs per norn: the managed heap with
/// <c>count</c> registered norns and an empty pool, then with one norn in a hundred active (one event each, delivered,
/// one attempt reported, so each keeps its status and attempt ring), then after those dispatchers retired when idle.
/// Not a BenchmarkDotNet suite: it runs once and prints three lines.
/// </summary>
public static class DispatchMemoryProbe
{
    /// <summary>Runs the probe.</summary>
    /// <param name="count">Registered norns (default 1,000,000).</param>
    /// <param name="output">Where to print.</param>
    public static void Run(int count, TextWriter output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 100);
        ArgumentNullException.ThrowIfNull(output);
        var registry = new NornRegistry();
        for (var i = 0; i < count; i++)
        {
            registry.Apply(BenchmarkNorns.Make(i, i));
        }

        var options = new MimisbrunnrOptions();
        options.Delivery.IdleTimeout = TimeSpan.FromMilliseconds(500);
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        var sender = new ReportingSender();
        var pool = new NornDispatcherPool(
            registry, [sender], new NoNotices(), new NoRemoval(), new FixedOptions(options), new MimisbrunnrMetrics(meters), TimeProvider.System,
            NullLogger<NornDispatcherPool>.Instance);

        var empty = GC.GetTotalMemory(forceFullCollection: true);
        var active = count / 100;
        var busy = Round(registry, pool, sender, active, offset: 0);
        var retired = GC.GetTotalMemory(forceFullCollection: true);

        // More rounds, each with another hundredth of the norns, so that what stays behind can be told apart from a leak
        // per norn: high-water marks (dictionary capacities, free lists) level off, a leak would grow by the same each round.
        var rounds = new long[4];
        for (var r = 0; r < rounds.Length; r++)
        {
            Round(registry, pool, sender, active, offset: r + 1);
            rounds[r] = GC.GetTotalMemory(forceFullCollection: true) - retired;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dispatch side, {count:N0} registered norns, {active:N0} active (one event each):"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  per active norn, while active (buffer, workers, status, 20-attempt ring): {(double)(busy - empty) / active:F0} B"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  left behind after they retired: {retired - empty:N0} B in all, {(double)(retired - empty) / count:F2} B per registered norn"));
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  after 1..4 more rounds of {active:N0} other norns active and retired: {string.Join(" / ", rounds.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} B more"));
        GC.KeepAlive(registry);
        pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>One event to each of <paramref name="active"/> norns, all delivered, then the heap; returns after they retired.</summary>
    private static long Round(NornRegistry registry, NornDispatcherPool pool, ReportingSender sender, int active, int offset)
    {
        var sent = Volatile.Read(ref sender.Sent);
        for (var i = 0; i < active; i++)
        {
            var n = (i * 100) + offset;
            var norn = registry.Find(BenchmarkNorns.Make(n, n).Id)!;
            if (pool.TryEnqueue(norn, Event(norn)) != EnqueueOutcome.Enqueued)
            {
                throw new InvalidOperationException("the probe must not drop");
            }
        }

        Wait(() => Volatile.Read(ref sender.Sent) == sent + active, "the deliveries");
        var busy = GC.GetTotalMemory(forceFullCollection: true);
        Wait(() => pool.ActiveNornCount == 0, "the idle dispatchers to retire");
        return busy;
    }

    private static RoutedEvent Event(RegisteredNorn norn) => new(
        new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = norn.Norn.DeviceId + "/parodus",
            Destination = $"event:device-status/{norn.Norn.DeviceId}/online",
            TransactionUuid = norn.Id[..16],
            Payload = [1, 2, 3],
        },
        norn.DeviceId,
        $"device-status/{norn.Norn.DeviceId}/online",
        DateTimeOffset.UtcNow);

    private static void Wait(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            Thread.Sleep(50);
        }
    }

    private sealed class ReportingSender : INornDestinationSender
    {
        public int Sent;

        public string Kind => DestinationKinds.Http;

        public int MaxBatchSize => 1;

        public ValueTask<DeliveryOutcome> SendAsync(Norn norn, IReadOnlyList<RoutedEvent> batch, CancellationToken cancellationToken) =>
            SendAsync(norn, batch, DeliveryAttemptObservers.None, cancellationToken);

        public ValueTask<DeliveryOutcome> SendAsync(
            Norn norn, IReadOnlyList<RoutedEvent> batch, IDeliveryAttemptObserver attempts, CancellationToken cancellationToken)
        {
            attempts.OnAttempt(new DeliveryAttempt
            {
                StartedAt = DateTimeOffset.UtcNow,
                Duration = TimeSpan.FromMilliseconds(1),
                Number = 1,
                Succeeded = true,
                StatusCode = 200,
                TransactionId = batch[0].Message.TransactionUuid,
                Events = batch.Count,
            });
            Interlocked.Add(ref Sent, batch.Count);
            return ValueTask.FromResult(DeliveryOutcome.Delivered);
        }
    }

    private sealed class NoNotices : INornCutOffNotifier
    {
        public ValueTask NotifyAsync(Norn norn, CutOffNotice notice, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class FixedOptions(MimisbrunnrOptions value) : IOptionsMonitor<MimisbrunnrOptions>
    {
        public MimisbrunnrOptions CurrentValue => value;

        public MimisbrunnrOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<MimisbrunnrOptions, string?> listener) => null;
    }
}
