using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>Queue URL, allow-list and option rules, and registration through the validator.</summary>
public sealed class SqsRulesTests
{
    private const string Endpoint = "http://127.0.0.1:4566";

    [Theory]
    [InlineData("https://sqs.us-east-1.amazonaws.com/123456789012/events-*", "https://sqs.us-east-1.amazonaws.com/123456789012/events-a", true)]
    [InlineData("https://sqs.us-east-1.amazonaws.com/123456789012/events-*", "https://sqs.us-east-1.amazonaws.com/123456789012/events-", true)]
    [InlineData("https://sqs.us-east-1.amazonaws.com/123456789012/events-*", "https://sqs.us-east-1.amazonaws.com/123456789012/other", false)]
    [InlineData("https://sqs.*.amazonaws.com/123456789012/q", "https://sqs.eu-west-1.amazonaws.com/123456789012/q", true)]
    [InlineData("https://sqs.*.amazonaws.com/123456789012/q", "https://sqs.evil.example/x.amazonaws.com/123456789012/q", false)]
    [InlineData("https://sqs.us-east-1.amazonaws.com/*/q", "https://sqs.us-east-1.amazonaws.com/123456789012/q", true)]
    [InlineData("https://sqs.us-east-1.amazonaws.com/*", "https://sqs.us-east-1.amazonaws.com/123456789012/q", false)]
    [InlineData("https://sqs.us-east-1.amazonaws.com/123456789012/Q", "https://sqs.us-east-1.amazonaws.com/123456789012/q", false)]
    [InlineData("*a*b*", "xxaxxbxx", true)]
    [InlineData("*a*b", "xxaxxbxx", false)]
    public void Url_patterns_match_whole_urls_and_a_star_never_crosses_a_slash(string pattern, string url, bool matches) =>
        Assert.Equal(matches, SqsQueuePolicy.GlobMatches(pattern, url));

    [Theory]
    [InlineData("https://sqs.us-east-1.amazonaws.com/123456789012/q", "123456789012", true)]
    [InlineData("https://sqs.us-east-1.amazonaws.com/123456789012/q", "210987654321", false)]
    [InlineData("http://127.0.0.1:4566/000000000000/q", "000000000000", true)]
    [InlineData("https://sqs.us-east-1.amazonaws.com/123456789012/q", "https://sqs.us-east-1.amazonaws.com/123456789012/*", true)]
    public void Allow_list_entries_are_accounts_or_url_patterns(string queueUrl, string entry, bool allowed) =>
        Assert.Equal(allowed, SqsQueuePolicy.IsAllowed(queueUrl, [entry]));

    [Fact]
    public void An_empty_allow_list_allows_nothing() =>
        Assert.False(SqsQueuePolicy.IsAllowed("https://sqs.us-east-1.amazonaws.com/123456789012/q", []));

    [Theory]
    [InlineData(Endpoint, "http://127.0.0.1:4566/000000000000/q", true)]
    [InlineData(Endpoint, "http://127.0.0.1:4566/000000000000/q.fifo", true)]
    [InlineData(Endpoint + "/", "http://127.0.0.1:4566/000000000000/q", true)]
    [InlineData(Endpoint, "http://127.0.0.1:4567/000000000000/q", false)]
    [InlineData(Endpoint, "https://127.0.0.1:4566/000000000000/q", false)]
    [InlineData(Endpoint, "http://localhost:4566/000000000000/q", false)]
    [InlineData(Endpoint, "http://127.0.0.1:4566/q", false)]
    [InlineData(Endpoint, "http://127.0.0.1:4566/a/b/q", false)]
    [InlineData(Endpoint, "http://127.0.0.1:4566/000000000000/q?x=1", false)]
    [InlineData(Endpoint, "http://user:pw@127.0.0.1:4566/000000000000/q", false)]
    [InlineData(Endpoint, "http://127.0.0.1:4566/000000000000/bad%20name", false)]
    [InlineData("https://vpce-1.sqs.us-east-1.vpce.amazonaws.com/sqs", "https://vpce-1.sqs.us-east-1.vpce.amazonaws.com/sqs/123456789012/q", true)]
    [InlineData("https://vpce-1.sqs.us-east-1.vpce.amazonaws.com/sqs", "https://vpce-1.sqs.us-east-1.vpce.amazonaws.com/123456789012/q", false)]
    public void Queue_urls_under_the_service_endpoint_are_recognised(string serviceUrl, string queueUrl, bool under)
    {
        var policy = new SqsQueuePolicy(Monitor(new SqsDestinationOptions { ServiceUrl = new Uri(serviceUrl) }));
        Assert.Equal(under, policy.IsServiceEndpointQueueUrl(new Uri(queueUrl)));
    }

    [Fact]
    public void Without_a_service_endpoint_no_other_url_is_a_queue_url_and_requests_go_to_the_queue_host()
    {
        var policy = new SqsQueuePolicy(Monitor(new SqsDestinationOptions()));
        Assert.False(policy.IsServiceEndpointQueueUrl(new Uri("http://127.0.0.1:4566/000000000000/q")));
        Assert.Equal("https://sqs.eu-west-1.amazonaws.com", policy.EndpointFor(new Uri("https://sqs.eu-west-1.amazonaws.com/123456789012/q")));
    }

    [Fact]
    public async Task Registration_accepts_endpoint_queue_urls_with_the_default_or_given_region()
    {
        await using var services = Services(o => o.DefaultRegion = "eu-central-1");
        var validator = services.GetRequiredService<NornValidator>();

        var validated = await validator.ValidateAsync(Request("http://127.0.0.1:4566/000000000000/q"), TestContext.Current.CancellationToken);
        Assert.Equal("eu-central-1", validated.Destination.Sqs!.Region);

        validated = await validator.ValidateAsync(Request("http://127.0.0.1:4566/000000000000/q", region: "ap-south-1"), TestContext.Current.CancellationToken);
        Assert.Equal("ap-south-1", validated.Destination.Sqs!.Region);

        // AWS URLs keep their own rules: the region comes from, and must agree with, the URL.
        validated = await validator.ValidateAsync(Request("https://sqs.us-west-2.amazonaws.com/123456789012/q"), TestContext.Current.CancellationToken);
        Assert.Equal("us-west-2", validated.Destination.Sqs!.Region);
        var mismatch = await Assert.ThrowsAsync<NornValidationException>(
            async () => await validator.ValidateAsync(Request("https://sqs.us-west-2.amazonaws.com/123456789012/q", region: "eu-west-1"), TestContext.Current.CancellationToken));
        Assert.Equal(("destination.sqs.region", "mismatch"), (mismatch.Field, mismatch.Rule));

        var elsewhere = await Assert.ThrowsAsync<NornValidationException>(
            async () => await validator.ValidateAsync(Request("http://127.0.0.1:9999/000000000000/q"), TestContext.Current.CancellationToken));
        Assert.Equal(("destination.sqs.queueUrl", "format"), (elsewhere.Field, elsewhere.Rule));
        Assert.Contains("service endpoint", elsewhere.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registration_checks_the_failure_url_and_secret_of_an_sqs_norn()
    {
        await using var services = Services(engine: o => o.Destinations.AllowedHosts.Add("consumer.example")); // no DNS here
        var validator = services.GetRequiredService<NornValidator>();
        var request = Request("http://127.0.0.1:4566/000000000000/q") with { };
        var withFailure = request with
        {
            Destination = new DestinationRequest
            {
                Sqs = request.Destination!.Sqs! with { FailureUrl = "https://consumer.example/failed", Secret = "s" },
            },
        };
        var validated = await validator.ValidateAsync(withFailure, TestContext.Current.CancellationToken);
        Assert.Equal("https://consumer.example/failed", validated.Destination.Sqs!.FailureUrl);
        Assert.Equal("s", validated.Destination.Sqs.Secret);

        var badUrl = withFailure with { Destination = new DestinationRequest { Sqs = withFailure.Destination.Sqs with { FailureUrl = "ftp://x" } } };
        var error = await Assert.ThrowsAsync<NornValidationException>(async () => await validator.ValidateAsync(badUrl, TestContext.Current.CancellationToken));
        Assert.Equal(("destination.sqs.failureUrl", "scheme"), (error.Field, error.Rule));

        // The failure URL gets the SSRF guard like any other URL: loopback is refused by default.
        var loopback = withFailure with { Destination = new DestinationRequest { Sqs = withFailure.Destination.Sqs with { FailureUrl = "http://127.0.0.1:1/f" } } };
        error = await Assert.ThrowsAsync<NornValidationException>(async () => await validator.ValidateAsync(loopback, TestContext.Current.CancellationToken));
        Assert.Equal("destination.sqs.failureUrl", error.Field);

        var longSecret = withFailure with { Destination = new DestinationRequest { Sqs = withFailure.Destination.Sqs with { Secret = new string('s', 257) } } };
        error = await Assert.ThrowsAsync<NornValidationException>(async () => await validator.ValidateAsync(longSecret, TestContext.Current.CancellationToken));
        Assert.Equal(("destination.sqs.secret", "length"), (error.Field, error.Rule));

        var response = NornResponse.From(new Norn
        {
            Id = validated.Id,
            DeviceId = "mac:112233445566",
            Owner = "o",
            Destination = validated.Destination,
            ExpiresAt = DateTimeOffset.UtcNow,
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        });
        Assert.Equal("https://consumer.example/failed", response.Destination.Sqs!.FailureUrl);
        Assert.True(response.Destination.Sqs.HasSecret);
    }

    [Theory]
    [InlineData("ServiceUrl")]
    [InlineData("DefaultRegion")]
    [InlineData("AllowedQueues")]
    [InlineData("ClientCacheSize")]
    [InlineData("MaxBatchSize")]
    [InlineData("Retries")]
    public async Task Invalid_options_are_refused_naming_the_key(string key)
    {
        await using var services = Services(o =>
        {
            switch (key)
            {
                case "ServiceUrl": o.ServiceUrl = new Uri("ftp://127.0.0.1/"); break;
                case "DefaultRegion": o.DefaultRegion = "Mars"; break;
                case "AllowedQueues": o.AllowedQueues.Add("12345"); break;
                case "ClientCacheSize": o.ClientCacheSize = 0; break;
                case "MaxBatchSize": o.MaxBatchSize = 11; break;
                default: o.Retries = -1; break;
            }
        });
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<SqsDestinationOptions>>().Value);
        Assert.Contains("Mimisbrunnr:Sqs:" + key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_client_cache_disposes_the_least_recently_used_client_beyond_its_size()
    {
        var factory = new FakeSqsClientFactory();
        using var cache = new SqsClientCache(factory, Options.Create(new SqsDestinationOptions { ClientCacheSize = 2 }));
        var a = Settings("a");
        var b = Settings("b");
        cache.Acquire(a).Dispose();
        cache.Acquire(b).Dispose();
        cache.Acquire(a).Dispose(); // a is now the most recent
        cache.Acquire(Settings("c")).Dispose();

        Assert.Equal(2, cache.Count);
        Assert.Equal([0, 1, 0], factory.Created.Select(c => c.Client.Disposed));
        cache.Acquire(a).Dispose();
        Assert.Equal(3, factory.Created.Count); // a was kept

        cache.Dispose();
        Assert.All(factory.Created, c => Assert.Equal(1, c.Client.Disposed));
        Assert.Throws<ObjectDisposedException>(() => cache.Acquire(a));
    }

    [Fact]
    public void A_client_evicted_while_in_use_is_disposed_when_its_lease_ends()
    {
        var factory = new FakeSqsClientFactory();
        var cache = new SqsClientCache(factory, Options.Create(new SqsDestinationOptions { ClientCacheSize = 1 }));
        var lease = cache.Acquire(Settings("a"));
        cache.Acquire(Settings("b")).Dispose();
        Assert.Equal(0, factory.Created[0].Client.Disposed);
        lease.Dispose();
        lease.Dispose(); // idempotent
        Assert.Equal(1, factory.Created[0].Client.Disposed);

        var held = cache.Acquire(Settings("b"));
        cache.Dispose();
        Assert.Equal(0, factory.Created[1].Client.Disposed);
        held.Dispose();
        Assert.Equal(1, factory.Created[1].Client.Disposed);
    }

    [Theory]
    [InlineData(new[] { 1, 1, 1 }, 10, 100, "0+3")]
    [InlineData(new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, 10, 100, "0+10,10+2")]
    [InlineData(new[] { 40, 40, 40 }, 10, 100, "0+2,2+1")]
    [InlineData(new[] { 50, 50, 1 }, 10, 100, "0+2,2+1")]
    [InlineData(new[] { 10, 150, 10 }, 10, 100, "0+1,1+1,2+1")]
    [InlineData(new[] { 100 }, 10, 100, "0+1")]
    [InlineData(new[] { 1, 1, 1 }, 1, 100, "0+1,1+1,2+1")]
    [InlineData(new int[0], 10, 100, "")]
    public void Plans_respect_the_entry_and_byte_limits_in_order(int[] sizes, int maxEntries, int maxBytes, string expected) =>
        Assert.Equal(expected, string.Join(',', SqsMessages.Plan(sizes, maxEntries, maxBytes).Select(p => $"{p.Start}+{p.Count}")));

    [Fact]
    public void Attribute_values_sqs_would_refuse_are_percent_encoded()
    {
        var message = new Mimisbrunnr.Wrp.WrpMessage
        {
            Type = Mimisbrunnr.Wrp.MessageType.SimpleEvent,
            Source = SenderHarness.Device,
            Destination = "event:ok/ünïcode/😀",
            TransactionUuid = "bad\u0001id",
        };
        var routed = new Mimisbrunnr.Routing.RoutedEvent(message, Mimisbrunnr.Wrp.DeviceId.Parse(SenderHarness.Device), "ok/ünïcode/😀", DateTimeOffset.UtcNow);
        var outgoing = SqsMessages.Create(0, "norn", routed, fifo: false);
        Assert.Equal("bad%01id", outgoing.Attributes["transactionId"].StringValue);
        Assert.Equal("ok/ünïcode/😀", outgoing.Attributes["eventType"].StringValue);
    }

    private static ServiceProvider Services(Action<SqsDestinationOptions>? configure = null, Action<MimisbrunnrOptions>? engine = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMimisbrunnr(engine).AddSqsDestination(o =>
        {
            o.ServiceUrl = new Uri(Endpoint);
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    private static NornRequest Request(string queueUrl, string? region = null) =>
        TestNorns.SqsRequest(TestNorns.Device, queueUrl, "AKID", "secret", region: region, ttl: 60);

    private static SqsClientSettings Settings(string secret) =>
        new(Endpoint, "us-east-1", new SqsCredentials("AKID", secret, null));

    private static StaticOptionsMonitor<SqsDestinationOptions> Monitor(SqsDestinationOptions options) => new(options);
}
