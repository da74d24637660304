using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Tests.Dispatch;

namespace Mimisbrunnr.Tests.Delivery;

public sealed class DestinationGuardTests
{
    private static DestinationGuard Guard(Action<DestinationOptions>? configure = null, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        var options = new MimisbrunnrOptions();
        configure?.Invoke(options.Destinations);
        return new DestinationGuard(
            StaticOptionsMonitor.For(options),
            resolve ?? ((host, _) => throw new InvalidOperationException($"no DNS in this test ({host})")));
    }

    private static ValueTask<DestinationRefusal?> Check(DestinationGuard guard, string url) =>
        guard.CheckAsync(new Uri(url), TestContext.Current.CancellationToken);

    [Theory]
    [InlineData("http://127.0.0.1/hook", "127.0.0.1 is a loopback address")]
    [InlineData("http://127.1.2.3:8080/", "loopback")]
    [InlineData("http://10.0.0.1/hook", "10.0.0.1 is a private-network address")]
    [InlineData("http://172.16.5.4/", "private-network")]
    [InlineData("http://192.168.1.1/", "private-network")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address")]
    [InlineData("http://169.254.1.1/", "link-local")]
    [InlineData("http://[::1]/hook", "::1 is a loopback address")]
    [InlineData("http://[fc00::1]/", "unique-local")]
    [InlineData("http://[fd00:ec2::254]/", "cloud metadata")]
    [InlineData("http://[fe80::1]/", "link-local")]
    [InlineData("http://100.64.0.1/", "carrier-grade NAT")]
    [InlineData("http://[::ffff:127.0.0.1]/", "loopback")]
    [InlineData("http://[::ffff:10.1.2.3]/", "private-network")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/", "cloud metadata")]
    [InlineData("http://0.0.0.0/", "unspecified")]
    [InlineData("http://[::]/", "unspecified")]
    [InlineData("http://224.0.0.1/", "multicast")]
    [InlineData("http://255.255.255.255/", "broadcast")]
    [InlineData("http://240.0.0.1/", "reserved")]
    public async Task Refuses_non_public_addresses(string url, string reason)
    {
        var refusal = await Check(Guard(), url);

        Assert.NotNull(refusal);
        Assert.Equal("network", refusal.Rule);
        Assert.Contains(reason, refusal.Message, StringComparison.Ordinal);
        Assert.Contains("AllowPrivateNetworks", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://example.com/hook", "scheme")]
    [InlineData("file:///etc/passwd", "scheme")]
    [InlineData("gopher://example.com/", "scheme")]
    [InlineData("http://user:pass@93.184.216.34/hook", "userInfo")]
    [InlineData("https://token@93.184.216.34/hook", "userInfo")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/", "host")]
    [InlineData("http://METADATA.google.internal./", "host")]
    public async Task Refuses_by_rule(string url, string rule)
    {
        var refusal = await Check(Guard(), url);

        Assert.NotNull(refusal);
        Assert.Equal(rule, refusal.Rule);
    }

    [Theory]
    [InlineData("http://93.184.216.34/hook")]
    [InlineData("https://[2606:2800:220:1:248:1893:25c8:1946]/hook")]
    [InlineData("https://8.8.8.8:8443/x?y=z")]
    public async Task Allows_public_addresses(string url) => Assert.Null(await Check(Guard(), url));

    [Fact]
    public async Task HttpsOnly_refuses_http()
    {
        var guard = Guard(d => d.HttpsOnly = true);

        Assert.Equal("httpsOnly", (await Check(guard, "http://93.184.216.34/"))?.Rule);
        Assert.Null(await Check(guard, "https://93.184.216.34/"));
    }

    [Theory]
    [InlineData("http://127.0.0.1/")]
    [InlineData("http://10.0.0.1/")]
    [InlineData("http://169.254.169.254/")]
    [InlineData("http://[::1]/")]
    [InlineData("http://metadata.google.internal/")]
    [InlineData("http://localhost/")]
    public async Task AllowPrivateNetworks_allows_every_network(string url) =>
        Assert.Null(await Check(Guard(d => d.AllowPrivateNetworks = true), url));

    [Fact]
    public async Task AllowPrivateNetworks_keeps_the_scheme_and_user_info_rules()
    {
        var guard = Guard(d => d.AllowPrivateNetworks = true);

        Assert.Equal("scheme", (await Check(guard, "ftp://127.0.0.1/"))?.Rule);
        Assert.Equal("userInfo", (await Check(guard, "http://a:b@127.0.0.1/"))?.Rule);
    }

    [Fact]
    public async Task AllowedHosts_allows_networks_addresses_and_names()
    {
        var guard = Guard(
            d =>
            {
                d.AllowedHosts.Add("10.0.0.0/8");
                d.AllowedHosts.Add("192.168.7.7");
                d.AllowedHosts.Add("fd12::/16");
                d.AllowedHosts.Add("hooks.internal");
                d.AllowedHosts.Add("*.corp.example");
            },
            (host, _) => Task.FromResult(new[] { IPAddress.Parse("172.20.0.5") }));

        Assert.Null(await Check(guard, "http://10.0.0.1/"));
        Assert.Null(await Check(guard, "http://[::ffff:10.9.9.9]/"));
        Assert.Null(await Check(guard, "http://192.168.7.7/"));
        Assert.Null(await Check(guard, "http://[fd12::5]/"));
        Assert.Null(await Check(guard, "http://hooks.internal/"));
        Assert.Null(await Check(guard, "http://a.b.corp.example/"));
        Assert.Equal("network", (await Check(guard, "http://192.168.7.8/"))?.Rule);
        Assert.Equal("network", (await Check(guard, "http://127.0.0.1/"))?.Rule);
        Assert.Equal("network", (await Check(guard, "http://other.internal/"))?.Rule);
    }

    [Fact]
    public async Task A_name_is_refused_when_any_of_its_addresses_is()
    {
        var guard = Guard(resolve: (host, _) => Task.FromResult(host switch
        {
            "public.example" => new[] { IPAddress.Parse("93.184.216.34"), IPAddress.Parse("2606:2800:220:1::1") },
            "rebind.example" => [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("10.0.0.5")],
            _ => [],
        }));

        Assert.Null(await Check(guard, "https://public.example/hook"));
        var refusal = await Check(guard, "https://rebind.example/hook");
        Assert.Equal("network", refusal?.Rule);
        Assert.Contains("the host 'rebind.example' resolves to 10.0.0.5", refusal?.Message, StringComparison.Ordinal);
        Assert.Equal("resolve", (await Check(guard, "https://nothing.example/"))?.Rule);
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_refused()
    {
        var guard = Guard(resolve: (_, _) => throw new SocketException((int)SocketError.HostNotFound));

        var refusal = await Check(guard, "https://no-such-host.example/");

        Assert.Equal("resolve", refusal?.Rule);
        Assert.Contains("no-such-host.example", refusal?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Localhost_resolves_to_loopback_and_is_refused()
    {
        var options = new MimisbrunnrOptions();
        var refusal = await new DestinationGuard(StaticOptionsMonitor.For(options)).CheckAsync(new Uri("http://localhost:8080/"), TestContext.Current.CancellationToken);

        Assert.Equal("network", refusal?.Rule);
        Assert.Contains("loopback", refusal?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_allow_list_entries_fail_at_start()
    {
        var services = new ServiceCollection();
        services.AddMimisbrunnr(o =>
        {
            o.Destinations.AllowedHosts.Add("10.0.0.0/33");
            o.Delivery.Timeout = TimeSpan.Zero;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MimisbrunnrOptions>>().Value);
        Assert.Contains(error.Failures, f => f.Contains("'10.0.0.0/33'", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Delivery:Timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_guard_is_registered()
    {
        var services = new ServiceCollection();
        services.AddMimisbrunnr();
        services.AddSingleton<Mimisbrunnr.Registry.INornRegistry>(new FakeNornRegistry());
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<DestinationGuard>(provider.GetRequiredService<IDestinationGuard>());
        Assert.Same(provider.GetRequiredService<NornDispatcherPool>(), provider.GetRequiredService<INornEventSink>());
    }
}

/// <summary>The connect-time check: the same rules applied to every address a name resolves to when connecting.</summary>
public sealed class ConnectTimeSsrfTests
{
    [Fact]
    public async Task A_name_resolving_to_loopback_fails_at_connect_time_even_though_registration_was_bypassed()
    {
        await using var h = await DeliveryHarness.StartAsync(o => o.Destinations.AllowPrivateNetworks = false);

        // The registry is written directly: nobody ran the registration guard on this URL.
        var norn = h.AddNorn("/hook", host: "localhost");

        Assert.Equal(DeliveryOutcome.Failed(1), await h.SendAsync(norn, TestData.Event(1)));
        Assert.Empty(h.Sink.Requests);
    }

    [Theory]
    [InlineData("localhost", "the host 'localhost' resolves to")]
    [InlineData("127.0.0.1", "127.0.0.1 is a loopback address")]
    [InlineData("[::1]", "::1 is a loopback address")]
    [InlineData("[::ffff:127.0.0.1]", "is a loopback address")]
    public async Task The_HttpRequestException_says_why(string host, string reason)
    {
        await using var h = await DeliveryHarness.StartAsync(o => o.Destinations.AllowPrivateNetworks = false);
        var client = h.Services.GetRequiredService<IHttpClientFactory>().CreateClient(DeliveryHttpClient.Name);
        var url = new UriBuilder(h.Sink.Url("/hook")) { Host = host }.Uri;

        var error = await Assert.ThrowsAsync<HttpRequestException>(
            () => client.PostAsync(url, new ByteArrayContent([]), TestContext.Current.CancellationToken));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("loopback", error.Message, StringComparison.Ordinal);
        Assert.IsType<DestinationRefusedException>(error.InnerException);
        Assert.Empty(h.Sink.Requests);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "cloud metadata")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata service")]
    public async Task Metadata_endpoints_are_refused_before_any_connection(string url, string reason)
    {
        await using var h = await DeliveryHarness.StartAsync(o => o.Destinations.AllowPrivateNetworks = false);
        var client = h.Services.GetRequiredService<IHttpClientFactory>().CreateClient(DeliveryHttpClient.Name);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri(url), TestContext.Current.CancellationToken));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.0/8", "127.0.0.1")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("localhost", "localhost")]
    public async Task AllowedHosts_lets_a_loopback_destination_through(string allowed, string host)
    {
        await using var h = await DeliveryHarness.StartAsync(o =>
        {
            o.Destinations.AllowPrivateNetworks = false;
            o.Destinations.AllowedHosts.Add(allowed);
        });
        var norn = h.AddNorn("/hook", host: host);

        Assert.Equal(DeliveryOutcome.Delivered, await h.SendAsync(norn, TestData.Event(1)));
        Assert.Single(h.Sink.Requests);
    }

    [Fact]
    public async Task The_cut_off_notice_goes_through_the_same_check()
    {
        await using var h = await DeliveryHarness.StartAsync(o => o.Destinations.AllowPrivateNetworks = false);
        var notifier = h.Services.GetRequiredService<INornCutOffNotifier>();
        var norn = h.Registry.Add(TestNorns.Http(TestData.Device, "https://93.184.216.34/hook", failureUrl: h.Sink.Url("/failure").ToString()));

        await Assert.ThrowsAsync<HttpRequestException>(async () => await notifier.NotifyAsync(
            norn.Norn, new CutOffNotice(TimeSpan.FromSeconds(10), DateTimeOffset.UtcNow, 1, 1), TestContext.Current.CancellationToken));
        Assert.Empty(h.Sink.Requests);
    }
}
