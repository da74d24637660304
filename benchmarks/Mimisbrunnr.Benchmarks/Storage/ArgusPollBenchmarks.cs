using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Mimisbrunnr.Argus;
using Mimisbrunnr.Benchmarks.Norns;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Benchmarks.Storage;

/// <summary>
/// The cost of one poll of an Argus bucket by <see cref="ArgusNornStore"/>: the listing read from HTTP into a pooled
/// buffer, parsed, each item's data hashed, and the bucket diffed against the last view, publishing what changed. The
/// listing comes from an in-process handler that returns prepared bytes (no socket, no Argus), so the figures are the
/// client's own CPU and allocations. <c>Unchanged</c>: the bucket is as at the last poll (the steady state, every pull
/// interval); <c>OnePercentChanged</c>: polls alternate between two listings that differ in 1% of the items (each poll
/// reads, decodes and publishes those).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 15)]
[MemoryDiagnoser]
public class ArgusPollBenchmarks
{
    private PreparedListingHandler _handler = null!;
    private HttpClient _http = null!;
    private ArgusNornStore _store = null!;
    private byte[] _listing = null!;
    private byte[] _changedListing = null!;
    private bool _flip;

    /// <summary>Items in the bucket.</summary>
    [Params(10_000, 100_000)]
    public int Items { get; set; } = 10_000;

    [GlobalSetup]
    public void Setup()
    {
        _listing = Listing(Items, changed: false);
        _changedListing = Listing(Items, changed: true);
        Console.WriteLine($"// Argus listing: {Items} items, {_listing.Length} bytes");
        _handler = new PreparedListingHandler { Body = _listing };
        _http = new HttpClient(_handler) { Timeout = Timeout.InfiniteTimeSpan };
        _store = new ArgusNornStore(_http, new ArgusStoreOptions { Address = new Uri("http://argus.invalid/"), Bucket = "norns" });

        // The first poll learns the bucket; the measured ones compare with it.
        _store.PollOnceAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _http.Dispose();
        _handler.Dispose();
    }

    [Benchmark]
    public Task Unchanged()
    {
        _handler.Body = _listing;
        return _store.PollOnceAsync(CancellationToken.None);
    }

    [Benchmark]
    public Task OnePercentChanged()
    {
        _flip = !_flip;
        _handler.Body = _flip ? _changedListing : _listing;
        return _store.PollOnceAsync(CancellationToken.None);
    }

    /// <summary>A bucket listing as Argus sends it: items sorted by id, each with its data and remaining ttl.</summary>
    private static byte[] Listing(int count, bool changed)
    {
        var norns = new List<Norn>(count);
        for (var i = 0; i < count; i++)
        {
            var norn = BenchmarkNorns.Make(i, i, new NornFilter { Events = ["^device-status/.*/online$"] });
            if (changed && i % 100 == 0)
            {
                norn = norn with { ExpiresAt = norn.ExpiresAt.AddMinutes(5), UpdatedAt = norn.UpdatedAt.AddMinutes(5) };
            }

            norns.Add(norn);
        }

        norns.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        var text = new StringBuilder(count * 600);
        text.Append('[');
        for (var i = 0; i < norns.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append("{\"id\":\"").Append(norns[i].Id).Append("\",\"data\":")
                .Append(Encoding.UTF8.GetString(ArgusItems.SerializeNorn(norns[i])))
                .Append(",\"ttl\":3600}");
        }

        text.Append(']');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private sealed class PreparedListingHandler : HttpMessageHandler
    {
        public byte[] Body { get; set; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Body) });
    }
}
