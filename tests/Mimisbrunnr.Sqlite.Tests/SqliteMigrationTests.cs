using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Testing;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing.Storage;

namespace Mimisbrunnr.Sqlite.Tests;

/// <summary>
/// Schema version 2: a database written by version 1 (ids from the device id and the URL as written) is brought to the
/// current identity rules when a store opens it.
/// </summary>
public sealed class SqliteMigrationTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    // The version 1 schema, as SqliteNornStore 1 created it.
    private const string Version1Schema = """
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version (version) VALUES (1);
        CREATE TABLE norns (
            id TEXT NOT NULL PRIMARY KEY,
            owner TEXT NOT NULL,
            device_id TEXT NOT NULL,
            device_key TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            document TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX ix_norns_device_key ON norns (device_key, expires_at);
        CREATE INDEX ix_norns_expires_at ON norns (expires_at);
        CREATE INDEX ix_norns_owner_id_expires_at ON norns (owner, id, expires_at);
        """;

    private readonly TempSqliteDatabase _database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Opening_a_version_1_database_re_keys_its_rows_normalises_their_urls_and_merges_duplicates_keeping_the_newest()
    {
        var a = Legacy("alice", "uuid:ABC", "https://h.example/hook", T0);                      // merged into b
        var b = Legacy("bob", "uuid:abc", "https://h.example/hook", T0.AddMinutes(1));          // already current: stays
        var c = Legacy("carol", "mac:112233445566", "HTTP://Hooks.Example:80/x", T0.AddMinutes(5)); // newest: re-keyed onto d's id
        var d = Legacy("dave", "mac:112233445566", "http://hooks.example/x", T0.AddMinutes(2));  // merged into c
        var e = Legacy("erin", "uuid:XyZ", "https://e.example/a#frag", T0);                     // re-keyed alone
        var f = Legacy("frank", "mac:aabbccddeeff", "https://f.example/hook", T0);              // unchanged
        var g = Legacy("grace", "mac:aabbccddee00", "https://g.example/hook", T0) with          // same id, failure URL normalised
        {
            Destination = new NornDestination
            {
                Http = new HttpDestination { Url = "https://g.example/hook", FailureUrl = "HTTPS://G.example:443/fail", Secret = "s" },
            },
        };
        var q = LegacySqs("heidi", "uuid:Queue-1", "https://SQS.us-east-1.amazonaws.com/123456789012/q", T0); // re-keyed alone
        await CreateVersion1Async(a, b, c, d, e, f, g, q);
        var logs = new FakeLogCollector();

        await using var store = new SqliteNornStore(_database.ConnectionString, new FakeLogger<SqliteNornStore>(logs));
        await store.InitializeAsync(Ct);

        var stored = await LoadAllAsync(store);
        Assert.Equal(6, stored.Count);
        Assert.Equal(new[] { b.Id, CurrentId(c), CurrentId(e), f.Id, g.Id, CurrentId(q) }.Order(StringComparer.Ordinal), stored.Keys);
        Assert.All(stored, pair => Assert.Equal(pair.Key, NornIdentity.Normalize(pair.Value).Id));
        Assert.Equal(CurrentId(d), CurrentId(c));
        Assert.Null(await store.GetAsync(a.Id, Ct));
        Assert.Null(await store.GetAsync(c.Id, Ct));
        Assert.Null(await store.GetAsync(e.Id, Ct));

        Assert.Equal("bob", stored[b.Id].Owner);
        var rekeyed = stored[CurrentId(c)];
        Assert.Equal("carol", rekeyed.Owner);
        Assert.Equal("http://hooks.example/x", rekeyed.Destination.Http!.Url);
        Assert.Equal(c.UpdatedAt, rekeyed.UpdatedAt);
        Assert.Equal(c.CreatedAt, rekeyed.CreatedAt);
        Assert.Equal("mac:112233445566", rekeyed.DeviceId);
        Assert.Equal("https://e.example/a", stored[CurrentId(e)].Destination.Http!.Url);
        Assert.Equal("uuid:XyZ", stored[CurrentId(e)].DeviceId);
        Assert.Equal("https://g.example/fail", stored[g.Id].Destination.Http!.FailureUrl);
        Assert.Equal("https://sqs.us-east-1.amazonaws.com/123456789012/q", stored[CurrentId(q)].Destination.Sqs!.QueueUrl);
        Assert.Equal("AKIA0000", stored[CurrentId(q)].Destination.Sqs!.AccessKeyId);
        Assert.Equal(f, stored[f.Id]);

        // The columns follow the documents; the owner's list and device filter find the re-keyed norn.
        Assert.Equal(CurrentId(c), await ScalarAsync("SELECT id FROM norns WHERE owner = 'carol';"));
        Assert.Equal("mac:112233445566", await ScalarAsync("SELECT device_key FROM norns WHERE owner = 'carol';"));
        Assert.Equal(2L, await ScalarAsync("SELECT MAX(version) FROM schema_version;"));
        var carols = await store.ListAsync(new NornQuery("carol", "MAC:112233445566", null, 10, T0), Ct);
        Assert.Equal(CurrentId(c), Assert.Single(carols.Items).Id);

        var line = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 3002);
        Assert.Equal("8", line.GetStructuredStateValue("Examined"));
        Assert.Equal("3", line.GetStructuredStateValue("Rekeyed"));
        Assert.Equal("2", line.GetStructuredStateValue("Merged"));
        Assert.Equal("1", line.GetStructuredStateValue("Rewritten"));
        Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 3000);
    }

    [Fact]
    public async Task The_re_key_is_idempotent_and_runs_once()
    {
        await CreateVersion1Async(
            Legacy("alice", "uuid:ABC", "https://h.example/hook", T0),
            Legacy("bob", "uuid:abc", "HTTPS://h.example/hook", T0.AddMinutes(1)),
            Legacy("carol", "uuid:Other", "https://h.example/hook", T0));
        SortedDictionary<string, Norn> first;
        await using (var store = new SqliteNornStore(_database.ConnectionString))
        {
            first = await LoadAllAsync(store);
        }

        // Opening again does not migrate again; running version 2 again (as a host that crashed before recording it
        // would) changes nothing.
        var again = new FakeLogCollector();
        await using (var store = new SqliteNornStore(_database.ConnectionString, new FakeLogger<SqliteNornStore>(again)))
        {
            Assert.Equal(first, await LoadAllAsync(store));
        }

        await ExecuteAsync("UPDATE schema_version SET version = 1;");
        var rerun = new FakeLogCollector();
        await using (var store = new SqliteNornStore(_database.ConnectionString, new FakeLogger<SqliteNornStore>(rerun)))
        {
            Assert.Equal(first, await LoadAllAsync(store));
        }

        Assert.Equal(2, first.Count);
        Assert.Empty(again.GetSnapshot());
        var line = Assert.Single(rerun.GetSnapshot(), r => r.Id.Id == 3002);
        Assert.Equal("2", line.GetStructuredStateValue("Examined"));
        Assert.Equal("0", line.GetStructuredStateValue("Rekeyed"));
        Assert.Equal("0", line.GetStructuredStateValue("Merged"));
        Assert.Equal("0", line.GetStructuredStateValue("Rewritten"));
    }

    [Fact]
    public async Task A_subscriber_that_watched_before_the_migration_hears_what_it_changed()
    {
        var old = Legacy("alice", "uuid:ABC", "https://h.example/hook", T0);
        var merged = Legacy("bob", "uuid:Def", "https://d.example/", T0);
        var newer = Legacy("bob", "uuid:DEF", "https://d.example/", T0.AddMinutes(1));
        await CreateVersion1Async(old, merged, newer);
        await using var store = new SqliteNornStore(_database.ConnectionString);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        await using var changes = store.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = changes.MoveNextAsync();

        await store.InitializeAsync(Ct);

        var seen = new List<(NornChangeKind, string?)>();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(i == 0 ? await next : await changes.MoveNextAsync());
            seen.Add((changes.Current.Kind, changes.Current.Id));
            if (changes.Current.Kind == NornChangeKind.Upserted)
            {
                Assert.Equal(changes.Current.Id, changes.Current.Norn!.Id);
            }
        }

        Assert.Equal(
            new (NornChangeKind, string?)[]
            {
                (NornChangeKind.Deleted, merged.Id),
                (NornChangeKind.Deleted, newer.Id),
                (NornChangeKind.Upserted, CurrentId(newer)),
                (NornChangeKind.Deleted, old.Id),
                (NornChangeKind.Upserted, CurrentId(old)),
            }.Order(),
            seen.Order());
    }

    [Fact]
    public async Task A_new_database_is_created_at_version_2_with_nothing_to_re_key()
    {
        var logs = new FakeLogCollector();
        await using var store = new SqliteNornStore(_database.ConnectionString, new FakeLogger<SqliteNornStore>(logs));

        await store.InitializeAsync(Ct);

        Assert.Equal(2, SqliteNornStore.SchemaVersion);
        Assert.Equal(2L, await ScalarAsync("SELECT MAX(version) FROM schema_version;"));
        Assert.Equal("0", Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 3002).GetStructuredStateValue("Examined"));
        Assert.Equal(1L, await ScalarAsync("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ix_norns_owner_device_key';"));
    }

    /// <summary>A norn as version 1 wrote it: the id from the device id and the URL exactly as written.</summary>
    private static Norn Legacy(string owner, string deviceId, string url, DateTimeOffset updatedAt) => new()
    {
        Id = LegacyId(deviceId, url),
        DeviceId = deviceId,
        Owner = owner,
        Destination = new NornDestination { Http = new HttpDestination { Url = url, Secret = "s" } },
        ExpiresAt = updatedAt.AddHours(1),
        CreatedAt = updatedAt.AddMinutes(-30),
        UpdatedAt = updatedAt,
    };

    private static Norn LegacySqs(string owner, string deviceId, string queueUrl, DateTimeOffset updatedAt) =>
        Legacy(owner, deviceId, queueUrl, updatedAt) with
        {
            Destination = new NornDestination
            {
                Sqs = new SqsDestination { QueueUrl = queueUrl, Region = "us-east-1", AccessKeyId = "AKIA0000", SecretAccessKey = "x" },
            },
        };

    private static string LegacyId(string deviceId, string url) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(deviceId + "\n" + url)));

    private static string CurrentId(Norn norn) => NornIdentity.Derive(norn.DeviceId, NornIdentity.NormalizeUrl(norn.Destination.Key));

    private async Task CreateVersion1Async(params Norn[] norns)
    {
        await ExecuteAsync(Version1Schema);
        await using var connection = new SqliteConnection(_database.ConnectionString + ";Pooling=False");
        await connection.OpenAsync(Ct);
        foreach (var norn in norns)
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO norns (id, owner, device_id, device_key, expires_at, document, created_at, updated_at)
                VALUES ($id, $owner, $device_id, $device_key, $expires_at, $document, $created_at, $updated_at);
                """;
            insert.Parameters.AddWithValue("$id", norn.Id);
            insert.Parameters.AddWithValue("$owner", norn.Owner);
            insert.Parameters.AddWithValue("$device_id", norn.DeviceId);
            insert.Parameters.AddWithValue("$device_key", norn.DeviceId.ToLowerInvariant());
            insert.Parameters.AddWithValue("$expires_at", norn.ExpiresAt.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$document", JsonSerializer.Serialize(norn, NornJsonContext.Default.Norn));
            insert.Parameters.AddWithValue("$created_at", norn.CreatedAt.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$updated_at", norn.UpdatedAt.ToUnixTimeMilliseconds());
            await insert.ExecuteNonQueryAsync(Ct);
        }
    }

    private static async Task<SortedDictionary<string, Norn>> LoadAllAsync(SqliteNornStore store)
    {
        var all = new SortedDictionary<string, Norn>(StringComparer.Ordinal);
        await foreach (var norn in store.LoadActiveAsync(T0, Ct))
        {
            all.Add(norn.Id, norn);
        }

        return all;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString + ";Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString + ";Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Ct);
    }
}
