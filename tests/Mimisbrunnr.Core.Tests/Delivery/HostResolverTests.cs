using System.Net;
using System.Net.Sockets;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Diagnostics;

namespace Mimisbrunnr.Tests.Delivery;

/// <summary>Host name lookups are bounded in number and in time, whatever the system resolver does.</summary>
public sealed class HostResolverTests
{
    [Fact]
    public async Task A_lookup_that_hangs_fails_as_a_resolution_error_after_the_timeout_and_is_counted()
    {
        var (metrics, recorder) = MetricRecorder.Create();
        using var _ = recorder;
        var hung = new TaskCompletionSource<IPAddress[]>();
        var resolver = new HostResolver(Options(timeout: TimeSpan.FromMilliseconds(200), slots: 4), metrics, (_, _) => hung.Task);

        var error = await Assert.ThrowsAsync<SocketException>(() => resolver.ResolveAsync("slow.example", TestContext.Current.CancellationToken));

        Assert.Equal(SocketError.TryAgain, error.SocketErrorCode);
        Assert.Equal(1, recorder.Sum("mimisbrunnr.dns.lookups", "outcome", "timeout"));
        Assert.Equal(3, resolver.FreeSlots); // the hung lookup keeps its slot until it really ends
        hung.SetResult([IPAddress.Loopback]);
        Assert.Equal(4, resolver.FreeSlots);
    }

    [Fact]
    public async Task No_more_than_the_bound_run_at_once_and_a_caller_past_it_fails_busy_without_starting_one()
    {
        var (metrics, recorder) = MetricRecorder.Create();
        using var _ = recorder;
        var hung = new TaskCompletionSource<IPAddress[]>();
        var started = 0;
        var resolver = new HostResolver(Options(timeout: TimeSpan.FromMilliseconds(200), slots: 2), metrics, (host, _) =>
        {
            Interlocked.Increment(ref started);
            return host == "fast.example" ? Task.FromResult(new[] { IPAddress.Loopback }) : hung.Task; // ignores cancellation
        });

        var first = Assert.ThrowsAsync<SocketException>(() => resolver.ResolveAsync("a.example", CancellationToken.None));
        var second = Assert.ThrowsAsync<SocketException>(() => resolver.ResolveAsync("b.example", CancellationToken.None));
        await Task.WhenAll(first, second);
        var third = await Assert.ThrowsAsync<SocketException>(() => resolver.ResolveAsync("c.example", CancellationToken.None));

        Assert.Equal(2, started);
        Assert.Equal(SocketError.TryAgain, third.SocketErrorCode);
        Assert.Equal(1, recorder.Sum("mimisbrunnr.dns.lookups", "outcome", "busy"));

        hung.SetResult([IPAddress.Loopback]); // the system's lookups end: their slots come back
        Assert.Equal([IPAddress.Loopback], await resolver.ResolveAsync("fast.example", CancellationToken.None));
        Assert.Equal(1, recorder.Sum("mimisbrunnr.dns.lookups", "outcome", "ok"));
    }

    [Fact]
    public async Task A_failing_lookup_is_counted_and_its_error_passes_through()
    {
        var (metrics, recorder) = MetricRecorder.Create();
        using var _ = recorder;
        var resolver = new HostResolver(Options(TimeSpan.FromSeconds(5), 1), metrics, (_, _) => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)));

        var error = await Assert.ThrowsAsync<SocketException>(() => resolver.ResolveAsync("nowhere.example", CancellationToken.None));

        Assert.Equal(SocketError.HostNotFound, error.SocketErrorCode);
        Assert.Equal(1, recorder.Sum("mimisbrunnr.dns.lookups", "outcome", "failed"));
        Assert.Equal(1, resolver.FreeSlots);
    }

    [Fact]
    public async Task The_destination_guard_refuses_a_host_whose_lookup_times_out()
    {
        var options = Options(TimeSpan.FromMilliseconds(100), 1);
        var resolver = new HostResolver(options, lookup: (_, ct) => Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => Array.Empty<IPAddress>(), TaskScheduler.Default));
        var guard = new DestinationGuard(options, resolver.ResolveAsync);

        var refusal = await guard.CheckAsync(new Uri("https://slow-dns.example/hook"), TestContext.Current.CancellationToken);

        Assert.Equal("resolve", refusal?.Rule);
    }

    [Theory]
    [InlineData("00:00:00", "Mimisbrunnr:Destinations:DnsTimeout")]
    [InlineData("01:00:00", "Mimisbrunnr:Destinations:DnsTimeout")]
    public void A_dns_timeout_out_of_range_is_refused_naming_the_key(string timeout, string key)
    {
        var options = new MimisbrunnrOptions();
        options.Destinations.DnsTimeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture);

        var result = new MimisbrunnrOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }

    private static Microsoft.Extensions.Options.IOptionsMonitor<MimisbrunnrOptions> Options(TimeSpan timeout, int slots)
    {
        var options = new MimisbrunnrOptions();
        options.Destinations.DnsTimeout = timeout;
        options.Destinations.MaxConcurrentDnsLookups = slots;
        return StaticOptionsMonitor.For(options);
    }
}
