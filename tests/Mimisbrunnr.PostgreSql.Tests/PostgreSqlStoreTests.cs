using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;
using Npgsql;

namespace Mimisbrunnr.PostgreSql.Tests;

/// <summary>What the PostgreSQL store adds to the contract: its schema, several instances on one database, its listener.</summary>
public sealed class PostgreSqlStoreTests
{
    private static readonly DateTimeOffset T0 = TestNorns.T0;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Instances_starting_together_migrate_once()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        var stores = Enumerable.Range(0, 8).Select(_ => new PostgreSqlNornStore(database.ConnectionString)).ToArray();
        try
        {
            await Task.WhenAll(stores.Select(s => Task.Run(async () => await s.InitializeAsync(Ct), Ct)));
            await using (var again = new PostgreSqlNornStore(database.ConnectionString))
            {
                await again.InitializeAsync(Ct);
                await again.PingAsync(Ct);
            }

            Assert.Equal(1L, await database.ScalarAsync("SELECT COUNT(*) FROM mimisbrunnr.schema_version;", Ct));
            Assert.Equal(PostgreSqlNornStore.SchemaVersion, await database.ScalarAsync("SELECT MAX(version) FROM mimisbrunnr.schema_version;", Ct));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_database_with_a_newer_schema_is_refused()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await using (var store = new PostgreSqlNornStore(database.ConnectionString))
        {
            await store.InitializeAsync(Ct);
        }

        await database.ScalarAsync("UPDATE mimisbrunnr.schema_version SET version = 99;", Ct);

        await using var newer = new PostgreSqlNornStore(database.ConnectionString);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await newer.InitializeAsync(Ct));
        Assert.Contains("99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_owner_without_superuser_rights_is_enough()
    {
        var role = "owner_" + Guid.NewGuid().ToString("N");
        var name = "t_" + Guid.NewGuid().ToString("N");
        await PostgreSqlServer.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD 'pw';", Ct);
        await PostgreSqlServer.ExecuteAsync($"CREATE DATABASE {name} OWNER {role};", Ct);
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(PostgreSqlServer.Require())
            {
                Database = name,
                Username = role,
                Password = "pw",
            }.ConnectionString;
            await using var store = new PostgreSqlNornStore(connectionString);
            await using var changes = store.WatchAsync(Ct).GetAsyncEnumerator(Ct);
            var next = changes.MoveNextAsync();
            await store.WhenListeningAsync().WaitAsync(TimeSpan.FromSeconds(30), Ct);

            var norn = TestNorns.Http("mac:f10000000001", "https://consumer.example/owner", owner: "alice");
            Assert.Equal(NornWriteStatus.Created, (await store.UpsertAsync(norn, new NornQuotas(10, 10), Ct)).Status);

            Assert.Equal(norn.Id, (await store.GetAsync(norn.Id, Ct))!.Id);
            while (await next && changes.Current.Kind == NornChangeKind.Resync)
            {
                next = changes.MoveNextAsync();
            }

            Assert.Equal((NornChangeKind.Upserted, norn.Id), (changes.Current.Kind, changes.Current.Id));
        }
        finally
        {
            await PostgreSqlServer.ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE);", CancellationToken.None);
            await PostgreSqlServer.ExecuteAsync($"DROP ROLE IF EXISTS {role};", CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_owner_quota_holds_across_instances_creating_at_once()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await using var first = new PostgreSqlNornStore(database.ConnectionString);
        await using var second = new PostgreSqlNornStore(database.ConnectionString);
        var quotas = new NornQuotas(MaxPerOwner: 5, MaxPerDevice: 100);

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(
            async () => (await (i % 2 == 0 ? first : second).UpsertAsync(
                TestNorns.Http($"mac:f2{i:x10}", $"https://consumer.example/{i}", owner: "alice"), quotas, Ct)).Status,
            Ct)));

        Assert.Equal(5, results.Count(s => s == NornWriteStatus.Created));
        Assert.Equal(11, results.Count(s => s == NornWriteStatus.OwnerQuotaExceeded));
        Assert.Equal(5, (await first.ListAsync(new NornQuery("alice", null, null, 100, T0), Ct)).Items.Count);
    }

    [Fact]
    public async Task The_device_quota_holds_per_owner_across_instances_creating_at_once()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await using var first = new PostgreSqlNornStore(database.ConnectionString);
        await using var second = new PostgreSqlNornStore(database.ConnectionString);
        var quotas = new NornQuotas(MaxPerOwner: 100, MaxPerDevice: 3);

        // Three owners create on one device at once through two instances; different spellings of the device count
        // together, other owners' norns do not count.
        string[] owners = ["alice", "bob", "carol"];
        var results = await Task.WhenAll(Enumerable.Range(0, 36).Select(i => Task.Run(
            async () =>
            {
                var owner = owners[i % 3];
                var norn = TestNorns.Http(i % 4 == 0 ? "uuid:Dev-F3" : "uuid:dev-f3", $"https://consumer.example/{i}", owner: owner);
                return (Owner: owner, (await (i % 2 == 0 ? first : second).UpsertAsync(norn, quotas, Ct)).Status);
            },
            Ct)));

        foreach (var owner in owners)
        {
            Assert.Equal(3, results.Count(r => r.Owner == owner && r.Status == NornWriteStatus.Created));
            Assert.Equal(9, results.Count(r => r.Owner == owner && r.Status == NornWriteStatus.DeviceQuotaExceeded));
            Assert.Equal(3, (await second.ListAsync(new NornQuery(owner, "UUID:DEV-F3", null, 100, T0), Ct)).Items.Count);
        }
    }

    [Fact]
    public async Task Both_quotas_hold_across_instances_when_an_owner_creates_on_many_devices_at_once()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await using var first = new PostgreSqlNornStore(database.ConnectionString);
        await using var second = new PostgreSqlNornStore(database.ConnectionString);
        var quotas = new NornQuotas(MaxPerOwner: 7, MaxPerDevice: 2);

        // 4 devices x 5 creates each: the device quota allows 8, the owner quota 7.
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(
            async () => (await (i % 2 == 0 ? first : second).UpsertAsync(
                TestNorns.Http($"mac:f7{i % 4:x10}", $"https://consumer.example/{i}", owner: "alice"), quotas, Ct)).Status,
            Ct)));

        Assert.Equal(7, results.Count(s => s == NornWriteStatus.Created));
        var stored = (await first.ListAsync(new NornQuery("alice", null, null, 100, T0), Ct)).Items;
        Assert.Equal(7, stored.Count);
        Assert.All(stored.GroupBy(n => n.DeviceId), device => Assert.InRange(device.Count(), 1, 2));
    }

    [Fact]
    public async Task Instances_sweeping_at_once_report_each_expired_norn_exactly_once()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await using var first = new PostgreSqlNornStore(database.ConnectionString);
        await using var second = new PostgreSqlNornStore(database.ConnectionString);
        var expired = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var norn = TestNorns.Http($"mac:f4{i:x10}", $"https://consumer.example/{i}", owner: "alice", ttl: i % 3 == 0 ? TimeSpan.FromHours(2) : TimeSpan.FromMinutes(1));
            await first.UpsertAsync(norn, NornQuotas.Unlimited, Ct);
            if (i % 3 != 0)
            {
                expired.Add(norn.Id);
            }
        }

        var sweeps = await Task.WhenAll(
            Enumerable.Range(0, 4).Select(i => Task.Run(async () => await (i % 2 == 0 ? first : second).DeleteExpiredAsync(T0.AddHours(1), Ct), Ct)));

        var reported = sweeps.SelectMany(s => s).ToList();
        Assert.Equal(expired.Order(StringComparer.Ordinal), reported.Order(StringComparer.Ordinal));
        Assert.Equal(100L, await database.ScalarAsync("SELECT COUNT(*) FROM mimisbrunnr.norns;", Ct));
    }

    [Fact]
    public async Task A_broken_listener_reconnects_and_tells_every_subscriber_to_resync_then_follows_again()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await using var store = new PostgreSqlNornStore(database.ConnectionString);
        await using var writer = new PostgreSqlNornStore(database.ConnectionString);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        await using var changes = store.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal(NornChangeKind.Resync, changes.Current.Kind); // the first LISTEN

        var listener = store.ListenerProcessId;
        Assert.True(await PostgreSqlServer.TerminateAsync(listener, Ct));
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal(NornChangeKind.Resync, changes.Current.Kind);
        Assert.NotEqual(listener, store.ListenerProcessId);

        var norn = TestNorns.Http("mac:f50000000001", "https://consumer.example/after", owner: "alice");
        await writer.UpsertAsync(norn, NornQuotas.Unlimited, Ct);
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal((NornChangeKind.Upserted, norn.Id), (changes.Current.Kind, changes.Current.Id));
        Assert.True(await writer.DeleteAsync(norn.Id, "alice", Ct));
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal((NornChangeKind.Deleted, norn.Id), (changes.Current.Kind, changes.Current.Id));
    }

    [Fact]
    public async Task Stored_timestamps_keep_their_full_precision()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await using var store = new PostgreSqlNornStore(database.ConnectionString);
        var at = new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);
        var norn = TestNorns.Http("mac:f60000000001", "https://consumer.example/ticks", owner: "alice") with
        {
            CreatedAt = at,
            UpdatedAt = at,
            ExpiresAt = at.AddHours(1),
        };
        await store.UpsertAsync(norn, NornQuotas.Unlimited, Ct);
        var update = await store.UpsertAsync(norn with { UpdatedAt = at.AddTicks(3), CreatedAt = at.AddTicks(3) }, NornQuotas.Unlimited, Ct);

        var stored = (await store.GetAsync(norn.Id, Ct))!;
        Assert.Equal(at, stored.CreatedAt);
        Assert.Equal(at, update.Norn!.CreatedAt);
        Assert.Equal(at.AddTicks(3), stored.UpdatedAt);
        Assert.Equal(at.AddHours(1), stored.ExpiresAt);
    }

    [Fact]
    public void UsePostgreSqlStore_replaces_the_in_memory_default()
    {
        var services = new ServiceCollection();
        services.AddMimisbrunnr().UsePostgreSqlStore("Host=127.0.0.1;Database=x;Username=u;Password=p");

        Assert.Single(services, d => d.ServiceType == typeof(INornStore));
        using var provider = services.BuildServiceProvider();
        var store = Assert.IsType<PostgreSqlNornStore>(provider.GetRequiredService<INornStore>());
        Assert.DoesNotContain("p", store.Server.Replace("127.0.0.1:5432/x", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Database=x;Password=hunter2")]
    [InlineData("Host=127.0.0.1;Password=hunter2;Nonsense=1")]
    public void Connection_strings_without_a_server_or_that_do_not_parse_are_refused_without_echoing_the_password(string connectionString)
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMimisbrunnr().UsePostgreSqlStore(connectionString));
        Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PostgreSqlNornStore(connectionString));
    }
}
