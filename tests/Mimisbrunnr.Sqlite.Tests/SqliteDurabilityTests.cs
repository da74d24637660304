using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Storage;

namespace Mimisbrunnr.Sqlite.Tests;

public sealed class SqliteDurabilityTests : IDisposable
{
    private static readonly DateTimeOffset T0 = TestNorns.T0;
    private readonly TempSqliteDatabase _database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_thousand_norns_survive_a_new_container_and_the_expired_ones_are_swept()
    {
        var time = new FakeTimeProvider(T0);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        var expiring = new HashSet<string>(StringComparer.Ordinal);
        await using (var first = BuildContainer(time))
        {
            var service = first.GetRequiredService<NornService>();
            for (var i = 0; i < 1000; i++)
            {
                var shortLived = i % 10 == 0;
                var outcome = await service.CreateOrUpdateAsync(
                    new($"owner-{i % 7}"),
                    TestNorns.HttpRequest(
                        $"MAC:{i:x12}",
                        $"https://consumer.example/hook/{i}",
                        ttl: shortLived ? 60 : 3600,
                        secret: "s" + i,
                        filter: i % 3 == 0 ? new NornFilter { Events = ["online$"] } : null),
                    Ct);
                Assert.True(outcome.Created);
                (shortLived ? expiring : expected).Add(outcome.Norn.Id);
            }
        }

        time.Advance(TimeSpan.FromMinutes(2));
        await using var second = BuildContainer(time);
        var store = second.GetRequiredService<INornStore>();
        Assert.IsType<SqliteNornStore>(store);
        var synchronizer = second.GetRequiredService<NornRegistrySynchronizer>();
        await synchronizer.StartAsync(Ct);
        await synchronizer.Loaded.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var registry = second.GetRequiredService<NornRegistry>();

        Assert.Equal(expected.Count, registry.Count);
        Assert.All(expected, id => Assert.NotNull(registry.Find(id)));
        Assert.All(expiring, id => Assert.Null(registry.Find(id)));
        var one = registry.Find(NornIdentity.Derive("mac:000000000003", "https://consumer.example/hook/3"))!;
        Assert.Equal("s3", one.Norn.Destination.Http!.Secret);
        Assert.Equal(["online$"], one.Norn.Filter!.Events);
        Assert.Equal(T0, one.Norn.CreatedAt);

        var swept = await second.GetRequiredService<NornExpirySweeper>().SweepAsync(Ct);
        Assert.Equal(expiring.Count, swept);
        foreach (var id in expiring)
        {
            Assert.Null(await store.GetAsync(id, Ct));
        }

        var live = 0;
        await foreach (var norn in store.LoadActiveAsync(time.GetUtcNow(), Ct))
        {
            Assert.Contains(norn.Id, expected);
            live++;
        }

        Assert.Equal(expected.Count, live);
        await synchronizer.StopAsync(Ct);
    }

    [Fact]
    public async Task The_file_is_in_wal_mode_with_one_schema_version_after_repeated_opens()
    {
        for (var i = 0; i < 3; i++)
        {
            await using var store = new SqliteNornStore(_database.ConnectionString);
            await store.InitializeAsync(Ct);
            await store.PingAsync(Ct);
        }

        using var connection = new SqliteConnection(_database.ConnectionString + ";Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)command.ExecuteScalar());
        command.CommandText = "SELECT COUNT(*), MAX(version) FROM schema_version;";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(1, reader.GetInt64(0));
        Assert.Equal(SqliteNornStore.SchemaVersion, reader.GetInt32(1));
    }

    [Fact]
    public async Task A_file_from_a_newer_schema_is_refused()
    {
        await using (var store = new SqliteNornStore(_database.ConnectionString))
        {
            await store.InitializeAsync(Ct);
        }

        using (var connection = new SqliteConnection(_database.ConnectionString + ";Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE schema_version SET version = 99;";
            command.ExecuteNonQuery();
        }

        await using var newer = new SqliteNornStore(_database.ConnectionString);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await newer.InitializeAsync(Ct));
        Assert.Contains("99", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Data Source=:memory:")]
    [InlineData("Data Source=x.db;Mode=Memory")]
    [InlineData("Data Source=x.db;Mode=ReadOnly")]
    public void Connection_strings_without_a_writable_file_are_refused(string connectionString)
    {
        Assert.Throws<ArgumentException>(() => new SqliteNornStore(connectionString));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMimisbrunnr().UseSqliteStore(connectionString));
    }

    [Fact]
    public void UseSqliteStore_replaces_the_in_memory_default()
    {
        var services = new ServiceCollection();
        services.AddMimisbrunnr().UseSqliteStore(_database.ConnectionString);

        Assert.Single(services, d => d.ServiceType == typeof(INornStore));
        using var provider = services.BuildServiceProvider();
        Assert.IsType<SqliteNornStore>(provider.GetRequiredService<INornStore>());
    }

    private ServiceProvider BuildContainer(TimeProvider time)
    {
        var services = new ServiceCollection();
        services.AddSingleton(time);
        services.AddMimisbrunnr(o => o.Destinations.AllowedHosts.Add("consumer.example")).UseSqliteStore(_database.ConnectionString);
        return services.BuildServiceProvider();
    }
}
