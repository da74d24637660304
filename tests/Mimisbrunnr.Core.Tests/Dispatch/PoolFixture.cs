using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Diagnostics;

namespace Mimisbrunnr.Tests.Dispatch;

/// <summary>A dispatcher pool on fake time with a fake registry, sender and notifier, and its metrics recorded.</summary>
internal sealed class PoolFixture : IAsyncDisposable
{
    public PoolFixture(Action<DeliveryOptions>? configure = null, params INornDestinationSender[] senders)
    {
        Options = new MimisbrunnrOptions();
        Options.Delivery.QueueSize = 16;
        Options.Delivery.CutOffPeriod = TimeSpan.FromSeconds(10);
        Options.Delivery.IdleTimeout = TimeSpan.FromMinutes(5);
        Options.Delivery.DrainTimeout = TimeSpan.FromSeconds(5);
        configure?.Invoke(Options.Delivery);
        Sender = senders.Length > 0 ? senders[0] as FakeSender ?? new FakeSender() : new FakeSender();
        (Metrics, Recorder) = MetricRecorder.Create();
        Pool = new NornDispatcherPool(
            Registry,
            senders.Length > 0 ? senders : [Sender],
            Notifier,
            Registry,
            StaticOptionsMonitor.For(Options),
            Metrics,
            Time,
            Log);
    }

    public MimisbrunnrOptions Options { get; }

    public FakeTimeProvider Time { get; } = new(TestNorns.T0);

    public FakeNornRegistry Registry { get; } = new();

    public FakeSender Sender { get; }

    public FakeCutOffNotifier Notifier { get; } = new();

    public MimisbrunnrMetrics Metrics { get; }

    public MetricRecorder Recorder { get; }

    public NornDispatcherPool Pool { get; }

    public FakeLogger<NornDispatcherPool> Log { get; } = new();

    /// <summary>The retirements the pool decided so far (it decides them in its idle timer, during the clock's advance).</summary>
    public int Retirements => Log.Collector.GetSnapshot().Count(r => r.Message.EndsWith("was retired after being idle.", StringComparison.Ordinal));

    public RegisteredNorn AddNorn(string url = "https://consumer.example/hook", TimeSpan? ttl = null, string? failureUrl = null) =>
        Registry.Add(TestNorns.Http(TestData.Device, url, secret: "s3cret", failureUrl: failureUrl, ttl: ttl ?? TimeSpan.FromDays(1)));

    public EnqueueOutcome Enqueue(RegisteredNorn norn, int i) => Pool.TryEnqueue(norn, TestData.Event(i));

    public Task WaitForSentAsync(int count) =>
        Eventually.TrueAsync(() => Sender.SentEvents.Count() >= count, () => $"{Sender.SentEvents.Count()} of {count} sent; drops {Recorder}");

    public Task WaitForStartedAsync(int count) =>
        Eventually.TrueAsync(() => Sender.Started >= count, () => $"{Sender.Started} of {count} sends started");

    public async ValueTask DisposeAsync()
    {
        foreach (var norn in Registry.GetByDevice(Mimisbrunnr.Wrp.DeviceId.Parse(TestData.Device)))
        {
            Sender.Release(norn.Id);
        }

        await Pool.DisposeAsync();
        Recorder.Dispose();
    }
}
