using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Argus.Tests;

/// <summary><c>UseArgusStore</c>: binding, validation at start, the MaxTtl guard, the health check registration.</summary>
public sealed class ArgusRegistrationTests
{
    [Fact]
    public void The_configuration_overload_binds_every_documented_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mimisbrunnr:Argus:Address"] = "https://argus.example:6600/",
            ["Mimisbrunnr:Argus:Bucket"] = "device-norns",
            ["Mimisbrunnr:Argus:PullInterval"] = "00:00:02",
            ["Mimisbrunnr:Argus:Owner"] = "mimisbrunnr-prod",
            ["Mimisbrunnr:Argus:Basic"] = "user:password",
            ["Mimisbrunnr:Argus:Jwt:AuthUrl"] = "https://themis.example/issue",
            ["Mimisbrunnr:Argus:Jwt:Basic"] = "client:secret",
            ["Mimisbrunnr:Argus:OwnerHeader"] = "X-Midt-Owner",
            ["Mimisbrunnr:Argus:ItemMaxTtl"] = "2.00:00:00",
            ["Mimisbrunnr:Argus:Timeout"] = "00:00:03",
        }).Build();
        var services = new ServiceCollection();
        services.AddMimisbrunnr().UseArgusStore(configuration.GetSection("Mimisbrunnr:Argus"));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ArgusStoreOptions>>().Value;

        Assert.Equal(new Uri("https://argus.example:6600/"), options.Address);
        Assert.Equal("device-norns", options.Bucket);
        Assert.Equal(TimeSpan.FromSeconds(2), options.PullInterval);
        Assert.Equal("mimisbrunnr-prod", options.Owner);
        Assert.Equal("user:password", options.Basic);
        Assert.Equal(new Uri("https://themis.example/issue"), options.Jwt.AuthUrl);
        Assert.Equal("client:secret", options.Jwt.Basic);
        Assert.Equal("X-Midt-Owner", options.OwnerHeader);
        Assert.Equal(TimeSpan.FromDays(2), options.ItemMaxTtl);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Timeout);
        Assert.IsType<ArgusNornStore>(provider.GetRequiredService<INornStore>());
        Assert.Same(provider.GetRequiredService<ArgusNornStore>(), provider.GetRequiredService<INornStore>());
    }

    [Fact]
    public void The_defaults_are_Argus_own()
    {
        var options = new ArgusStoreOptions();

        Assert.Equal("norns", options.Bucket);
        Assert.Equal(TimeSpan.FromSeconds(5), options.PullInterval);
        Assert.Equal("X-Xmidt-Owner", options.OwnerHeader);
        Assert.Equal(TimeSpan.FromHours(24), options.ItemMaxTtl);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.Null(options.Owner);
    }

    [Theory]
    [InlineData("Address", null, "Mimisbrunnr:Argus:Address")]
    [InlineData("Address", "ftp://argus.example/", "Mimisbrunnr:Argus:Address")]
    [InlineData("Address", "https://user:pw@argus.example/", "Mimisbrunnr:Argus:Address")]
    [InlineData("Bucket", "Norns", "Mimisbrunnr:Argus:Bucket")]
    [InlineData("Bucket", "ab", "Mimisbrunnr:Argus:Bucket")]
    [InlineData("Bucket", "norns-", "Mimisbrunnr:Argus:Bucket")]
    [InlineData("PullInterval", "00:00:00", "Mimisbrunnr:Argus:PullInterval")]
    [InlineData("Owner", "short", "Mimisbrunnr:Argus:Owner")]
    [InlineData("Basic", "no-colon", "Mimisbrunnr:Argus:Basic")]
    [InlineData("Jwt:AuthUrl", "/relative", "Mimisbrunnr:Argus:Jwt:AuthUrl")]
    [InlineData("OwnerHeader", "X-Owner", "Mimisbrunnr:Argus:OwnerHeader")]
    [InlineData("ItemMaxTtl", "00:00:00", "Mimisbrunnr:Argus:ItemMaxTtl")]
    [InlineData("Timeout", "-00:00:01", "Mimisbrunnr:Argus:Timeout")]
    public async Task An_invalid_option_stops_the_host_at_start_naming_its_key(string key, string? value, string named)
    {
        var settings = new Dictionary<string, string?> { ["Mimisbrunnr:Argus:Address"] = "http://127.0.0.1:1/" };
        settings["Mimisbrunnr:Argus:" + key] = value;
        using var host = Host(settings);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw@", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_engine_MaxTtl_longer_than_Argus_keeps_items_stops_the_host_naming_both_keys()
    {
        using var host = Host(new Dictionary<string, string?>
        {
            ["Mimisbrunnr:MaxTtl"] = "90000",
            ["Mimisbrunnr:Argus:Address"] = "http://127.0.0.1:1/",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Mimisbrunnr:MaxTtl", error.Message, StringComparison.Ordinal);
        Assert.Contains("Mimisbrunnr:Argus:ItemMaxTtl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_MaxTtl_within_ItemMaxTtl_starts()
    {
        await using var argus = await ArgusDouble.StartAsync();
        using var host = Host(new Dictionary<string, string?>
        {
            ["Mimisbrunnr:MaxTtl"] = "90000",
            ["Mimisbrunnr:Argus:Address"] = argus.Address.ToString(),
            ["Mimisbrunnr:Argus:ItemMaxTtl"] = "1.02:00:00",
        });

        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void The_store_constructor_refuses_invalid_options_naming_the_keys()
    {
        using var http = new HttpClient();

        var error = Assert.Throws<ArgumentException>(() => new ArgusNornStore(http, new ArgusStoreOptions { Bucket = "X" }));

        Assert.Contains("Mimisbrunnr:Argus:Address", error.Message, StringComparison.Ordinal);
        Assert.Contains("Mimisbrunnr:Argus:Bucket", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddMimisbrunnrArgus_registers_the_argus_health_check()
    {
        await using var argus = await ArgusDouble.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMimisbrunnr().UseArgusStore(o =>
        {
            o.Address = argus.Address;
            o.Bucket = Stores.NewBucket();
        });
        services.AddHealthChecks().AddMimisbrunnrArgus();
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        var entry = Assert.Single(report.Entries);
        Assert.Equal("mimisbrunnr-argus", entry.Key);
        Assert.Equal(HealthStatus.Healthy, entry.Value.Status);
        Assert.Contains("ready", entry.Value.Tags);
    }

    private static IHost Host(Dictionary<string, string?> settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Mimisbrunnr:AllowUnencryptedSecrets"] = "true" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMimisbrunnr(o => builder.Configuration.GetSection("Mimisbrunnr").Bind(o))
            .UseArgusStore(builder.Configuration.GetSection("Mimisbrunnr:Argus"));
        return builder.Build();
    }
}
