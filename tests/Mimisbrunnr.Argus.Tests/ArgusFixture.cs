using Microsoft.Extensions.Logging;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>One Argus double shared by the tests of a class; each test uses a bucket of its own.</summary>
public sealed class ArgusFixture : IAsyncLifetime
{
    public ArgusDouble Argus { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Argus = await ArgusDouble.StartAsync();

    public async ValueTask DisposeAsync() => await Argus.DisposeAsync();
}

/// <summary>Stores over a double, as tests want them: short pull interval and timeout, one owner.</summary>
internal static class Stores
{
    public const string Owner = "mimisbrunnr-tests";

    // One client for all stores of the test run, as a host has one.
    private static readonly HttpClient Http = new(new SocketsHttpHandler()) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>A bucket name no other test uses.</summary>
    public static string NewBucket() => "t-" + Guid.NewGuid().ToString("N")[..20];

    public static ArgusStoreOptions Options(ArgusDouble argus, string bucket, Action<ArgusStoreOptions>? configure = null)
    {
        var options = new ArgusStoreOptions
        {
            Address = argus.Address,
            Bucket = bucket,
            PullInterval = TimeSpan.FromMilliseconds(50),
            Owner = Owner,
            Timeout = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(options);
        return options;
    }

    public static ArgusNornStore Create(
        ArgusDouble argus,
        string bucket,
        Action<ArgusStoreOptions>? configure = null,
        ILogger<ArgusNornStore>? logger = null) =>
        new(Http, Options(argus, bucket, configure), TimeProvider.System, logger);
}
