using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Diagnostics;

namespace Mimisbrunnr.Tests.Routing;

/// <summary>
/// The base of the routing tests: a real <see cref="EventRouter"/> over a real registry, with a recording sink, a fake
/// clock at <see cref="TestNorns.T0"/> and recorded metrics.
/// </summary>
public abstract class RouterTest : IDisposable
{
    /// <summary>Creates the router; by default it takes the device id of <c>event:device-status/…</c> destinations.</summary>
    /// <param name="rules">The device id rules; <see langword="null"/> for the device-status rule.</param>
    private protected RouterTest(IReadOnlyList<DeviceIdRule>? rules = null)
    {
        (var metrics, Metrics) = MetricRecorder.Create();
        Router = new EventRouter(
            Registry,
            Sink,
            new DeviceIdExtractor(rules ?? [new DeviceIdRule { Regex = "^event:device-status/", EventType = DeviceIdRuleType.State }]),
            Time,
            metrics);
    }

    private protected FakeTimeProvider Time { get; } = new(TestNorns.T0);

    private protected NornRegistry Registry { get; } = new();

    private protected RecordingSink Sink { get; } = new();

    private protected MetricRecorder Metrics { get; }

    private protected EventRouter Router { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Metrics.Dispose();
        GC.SuppressFinalize(this);
    }
}
