using System.Net;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>The sample server's Prometheus endpoint, scraped after real deliveries to a real sink.</summary>
public sealed class MetricsScrapeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_after_real_traffic_count_events_deliveries_attempts_and_norns()
    {
        await using var sink = await SinkServer.StartAsync(Ct);
        sink.Enqueue("/hook", SinkResponse.WithStatus(503)); // the first event needs a second try
        await using var server = await SampleServer.StartAsync("--Mimisbrunnr:InstanceName=scraped");
        using (var created = await server.CreateNornAsync("mac:112233445566", sink.Url("/hook"), filterEvent: "online$"))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        for (var i = 0; i < 3; i++)
        {
            await server.PostEventAsync(TestEvents.DeviceStatus("mac:112233445566", transaction: $"m-{i}"));
        }

        await server.PostEventAsync(TestEvents.DeviceStatus("mac:112233445566", eventName: "offline", transaction: "m-f"));
        await server.PostEventAsync(TestEvents.DeviceStatus("mac:665544332211", transaction: "m-none"));
        await sink.WaitForRequestsAsync(4, "/hook");

        var metrics = await Eventually.ValueAsync(
            () => ScrapeAsync(server, "metrics"),
            m => m.Value("mimisbrunnr_deliveries_total", "outcome=success") == 3,
            "three successful deliveries in /metrics",
            TimeSpan.FromSeconds(30));

        Assert.Equal(4, metrics.Value("mimisbrunnr_events_received_total", "outcome=routed"));
        Assert.Equal(1, metrics.Value("mimisbrunnr_events_received_total", "outcome=no_norns"));
        Assert.Equal(3, metrics.Value("mimisbrunnr_deliveries_total", "destination_type=http", "outcome=success"));
        Assert.Null(metrics.Value("mimisbrunnr_deliveries_total", "outcome=failure"));
        Assert.Equal(3, metrics.Value("mimisbrunnr_delivery_attempts_total", "destination_type=http", "outcome=success"));
        Assert.Equal(1, metrics.Value("mimisbrunnr_delivery_attempts_total", "destination_type=http", "outcome=failure"));
        Assert.Equal(3, metrics.Value("mimisbrunnr_delivery_duration_seconds_count", "destination_type=http", "outcome=success"));
        Assert.Equal(1, metrics.Value("mimisbrunnr_norns_registered"));
        Assert.Equal(1, metrics.Value("mimisbrunnr_dispatchers_active"));
        Assert.Equal(0, metrics.Value("mimisbrunnr_norns_cut_off"));
        Assert.Equal(0, metrics.Value("mimisbrunnr_norns_failing"));
        Assert.Equal(0, metrics.Value("mimisbrunnr_queue_depth"));
        Assert.Equal(0, metrics.Value("mimisbrunnr_queue_bytes"));
        Assert.Null(metrics.Value("mimisbrunnr_drops_total"));
        Assert.Equal(1, metrics.Value("target_info", "service_instance_id=scraped"));
    }

    [Fact]
    public async Task The_scrape_path_is_configurable_and_metrics_can_be_turned_off()
    {
        await using (var moved = await SampleServer.StartAsync("--Server:Metrics:Path=/internal/metrics"))
        {
            using var found = await moved.Client.GetAsync("internal/metrics", Ct);
            Assert.Equal(HttpStatusCode.OK, found.StatusCode);
            Assert.Contains("mimisbrunnr_norns_registered", await found.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            using var gone = await moved.Client.GetAsync("metrics", Ct);
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        await using var off = await SampleServer.StartAsync("--Server:Metrics:Enabled=false");
        using var none = await off.Client.GetAsync("metrics", Ct);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task With_an_otlp_endpoint_the_traces_of_an_event_are_exported()
    {
        await using var collector = await SinkServer.StartAsync(Ct); // stands in for an OpenTelemetry collector (OTLP over HTTP)
        await using var sink = await SinkServer.StartAsync(Ct);
        await using var server = await SampleServer.StartAsync(
            $"--OTEL_EXPORTER_OTLP_ENDPOINT={collector.BaseAddress.ToString().TrimEnd('/')}",
            "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
            "--OTEL_BSP_SCHEDULE_DELAY=100");
        using (var created = await server.CreateNornAsync("mac:112233445566", sink.Url("/hook")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await server.PostEventAsync(TestEvents.DeviceStatus("mac:112233445566", transaction: "otlp-1"));
        await sink.WaitForRequestsAsync(1, "/hook");

        var exports = await collector.WaitForRequestsAsync(1, "/v1/traces", TimeSpan.FromSeconds(60));
        Assert.Equal("application/x-protobuf", exports[0].Header("Content-Type"));
        await Eventually.ValueAsync(
            () => Task.FromResult(string.Concat(collector.RequestsTo("/v1/traces").Select(r => System.Text.Encoding.Latin1.GetString(r.Body)))),
            all => all.Contains("mimisbrunnr.deliver.attempt", StringComparison.Ordinal) && all.Contains("mimisbrunnr.route", StringComparison.Ordinal),
            "the routing and attempt spans at the collector",
            TimeSpan.FromSeconds(60));
    }

    private static async Task<Prometheus> ScrapeAsync(SampleServer server, string path)
    {
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress }; // a scraper has no user
        using var response = await anonymous.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Prometheus.Parse(await response.Content.ReadAsStringAsync(Ct));
    }
}
