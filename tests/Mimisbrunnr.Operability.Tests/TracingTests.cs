using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using OpenTelemetry.Trace;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>One trace per event, exported by OpenTelemetry's in-memory exporter: /events → routing → delivery → each try.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task An_event_is_traced_from_the_request_through_routing_to_every_delivery_attempt_and_the_destination_gets_the_attempts_traceparent()
    {
        await using var sink = await SinkServer.StartAsync(TestContext.Current.CancellationToken);
        sink.Enqueue("/hook", SinkResponse.WithStatus(503), SinkResponse.Ok);
        var exported = new SynchronizedList<Activity>();
        await using var host = await MimisbrunnrTestHost.StartAsync(o =>
        {
            o.Engine = options => options.Delivery.Retries = 2;
            o.Services = services => services.AddOpenTelemetry().WithTracing(tracing => tracing
                .AddSource(MimisbrunnrTelemetry.ActivitySourceName, "System.Net.Http")
                .AddAspNetCoreInstrumentation()
                .AddInMemoryExporter(exported));
        });
        Assert.Equal(HttpStatusCode.Created, (await host.CreateNornAsync("alice", TestNorns.HttpRequest("mac:112233445566", sink.Url("/hook"), secret: TestNorns.Secret))).Status);

        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus("mac:112233445566", transaction: "traced-1")));

        var requests = await sink.WaitForRequestsAsync(2, "/hook");

        // The instrumentation listens process-wide: other test classes' hosts (the dashboard's posts events too) export
        // here as well. This test's spans are those of the trace its destination was told about.
        var trace = requests[0].Header("traceparent")!.Split('-')[1];
        var spans = await Eventually.ValueAsync(
            () => Task.FromResult(exported.Snapshot().Where(a => a.TraceId.ToString() == trace).ToList()),
            all => all.Any(a => a.OperationName == "mimisbrunnr.deliver") && all.Any(IsEventsRequest),
            "the delivery span and the /events request span to be exported",
            TimeSpan.FromSeconds(30));

        var request = Assert.Single(spans, IsEventsRequest);
        var route = Assert.Single(spans, a => a.OperationName == "mimisbrunnr.route");
        var deliver = Assert.Single(spans, a => a.OperationName == "mimisbrunnr.deliver");
        var attempts = spans.Where(a => a.OperationName == "mimisbrunnr.deliver.attempt").OrderBy(a => a.GetTagItem("mimisbrunnr.attempt")).ToList();

        // One trace, each span the child of the one before.
        Assert.All([route, deliver, .. attempts], span => Assert.Equal(request.TraceId, span.TraceId));
        Assert.Equal(request.SpanId, route.ParentSpanId);
        Assert.Equal(route.SpanId, deliver.ParentSpanId);
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, attempt => Assert.Equal(deliver.SpanId, attempt.ParentSpanId));

        Assert.Equal(1, route.GetTagItem("mimisbrunnr.route.enqueued"));
        Assert.Equal(ActivityKind.Producer, deliver.Kind);
        Assert.Equal(ActivityStatusCode.Ok, deliver.Status);
        Assert.Equal(ActivityKind.Client, attempts[0].Kind);
        Assert.Equal(503, attempts[0].GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Error, attempts[0].Status);
        Assert.Equal(200, attempts[1].GetTagItem("http.response.status_code"));

        // Each try's HTTP request (HttpClient's own client span, a child of the try) is what the destination sees as W3C
        // traceparent: same trace, a span that leads back to the try.
        for (var i = 0; i < 2; i++)
        {
            var traceparent = requests[i].Header("traceparent")!.Split('-');
            Assert.Equal(["00", request.TraceId.ToString()], traceparent[..2]);
            var http = Assert.Single(spans, a => a.SpanId.ToString() == traceparent[2]);
            Assert.Equal("System.Net.Http", http.Source.Name);
            Assert.Equal(attempts[i].SpanId, http.ParentSpanId);
        }
    }

    private static bool IsEventsRequest(Activity activity) =>
        activity.Kind == ActivityKind.Server && activity.GetTagItem("url.path") as string == "/events";

    /// <summary>The exporter adds from its own thread; the test reads snapshots.</summary>
    private sealed class SynchronizedList<T> : ICollection<T>
    {
        private readonly List<T> _items = [];

        public int Count
        {
            get
            {
                lock (_items)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public List<T> Snapshot()
        {
            lock (_items)
            {
                return [.. _items];
            }
        }

        public void Add(T item)
        {
            lock (_items)
            {
                _items.Add(item);
            }
        }

        public void Clear()
        {
            lock (_items)
            {
                _items.Clear();
            }
        }

        public bool Contains(T item)
        {
            lock (_items)
            {
                return _items.Contains(item);
            }
        }

        public void CopyTo(T[] array, int arrayIndex)
        {
            lock (_items)
            {
                _items.CopyTo(array, arrayIndex);
            }
        }

        public bool Remove(T item)
        {
            lock (_items)
            {
                return _items.Remove(item);
            }
        }

        public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
