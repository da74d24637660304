using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Testing;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Mimisbrunnr.PostgreSql.Tests;

/// <summary>
/// Schema version 2: a database written by version 1 (ids from the device id and the URL as written) is brought to the
/// current identity rules by the first store that opens it, once, however many start together.
/// </summary>
public sealed class PostgreSqlMigrationTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Opening_a_version_1_database_re_keys_its_rows_normalises_their_urls_and_merges_duplicates_keeping_the_newest()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
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
        await CreateVersion1Async(database, a, b, c, d, e, f, g, q);
        var logs = new FakeLogCollector();

        await using var store = new PostgreSqlNornStore(database.ConnectionString, new FakeLogger<PostgreSqlNornStore>(logs));
        await store.InitializeAsync(Ct);

        var stored = await LoadAllAsync(store);
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
        Assert.Equal(CurrentId(c), await database.ScalarAsync("SELECT id FROM mimisbrunnr.norns WHERE owner = 'carol';", Ct));
        Assert.Equal(2, await database.ScalarAsync("SELECT MAX(version) FROM mimisbrunnr.schema_version;", Ct));
        Assert.Equal(1L, await database.ScalarAsync("SELECT COUNT(*) FROM pg_proc WHERE proname = 'upsert_norn';", Ct));
        var carols = await store.ListAsync(new NornQuery("carol", "MAC:112233445566", null, 10, T0), Ct);
        Assert.Equal(CurrentId(c), Assert.Single(carols.Items).Id);

        var line = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 2006);
        Assert.Equal("8", line.GetStructuredStateValue("Examined"));
        Assert.Equal("3", line.GetStructuredStateValue("Rekeyed"));
        Assert.Equal("2", line.GetStructuredStateValue("Merged"));
        Assert.Equal("1", line.GetStructuredStateValue("Rewritten"));
        Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 2000);
    }

    [Fact]
    public async Task Hosts_starting_together_on_a_version_1_database_re_key_it_once()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        var norns = new List<Norn>();
        for (var i = 0; i < 50; i++)
        {
            // Pairs of spellings of one device and destination, the second newer; and norns that are current already.
            norns.Add(Legacy($"owner-{i}", $"uuid:Dev-{i}", $"https://Consumer.Example/{i}", T0));
            norns.Add(Legacy($"owner-{i}", $"uuid:dev-{i}", $"https://consumer.example:443/{i}", T0.AddSeconds(1)));
            norns.Add(Legacy($"owner-{i}", $"mac:{i:x12}", $"https://consumer.example/{i}", T0));
        }

        await CreateVersion1Async(database, [.. norns]);
        var logs = new FakeLogCollector();
        var stores = Enumerable.Range(0, 8)
            .Select(_ => new PostgreSqlNornStore(database.ConnectionString, new FakeLogger<PostgreSqlNornStore>(logs)))
            .ToArray();
        try
        {
            await Task.WhenAll(stores.Select(s => Task.Run(async () => await s.InitializeAsync(Ct), Ct)));

            var stored = await LoadAllAsync(stores[3]);
            Assert.Equal(100, stored.Count);
            for (var i = 0; i < 50; i++)
            {
                var merged = stored[NornIdentity.Derive($"uuid:dev-{i}", $"https://consumer.example/{i}")];
                Assert.Equal(T0.AddSeconds(1), merged.UpdatedAt);
                Assert.Equal($"https://consumer.example/{i}", merged.Destination.Http!.Url);
                Assert.Equal($"uuid:dev-{i}", merged.DeviceId);
            }

            var line = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 2006);
            Assert.Equal("150", line.GetStructuredStateValue("Examined"));
            Assert.Equal("50", line.GetStructuredStateValue("Rekeyed"));
            Assert.Equal("50", line.GetStructuredStateValue("Merged"));
            Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 2000);
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
    public async Task The_re_key_is_idempotent()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        await CreateVersion1Async(
            database,
            Legacy("alice", "uuid:ABC", "https://h.example/hook", T0),
            Legacy("bob", "uuid:abc", "HTTPS://h.example/hook", T0.AddMinutes(1)),
            Legacy("carol", "uuid:Other", "https://h.example/hook", T0));
        SortedDictionary<string, Norn> first;
        await using (var store = new PostgreSqlNornStore(database.ConnectionString))
        {
            first = await LoadAllAsync(store);
        }

        // Running version 2 again (as after a crash between its work and its record, were they not one transaction)
        // changes nothing.
        await database.ScalarAsync("UPDATE mimisbrunnr.schema_version SET version = 1;", Ct);
        var rerun = new FakeLogCollector();
        await using (var store = new PostgreSqlNornStore(database.ConnectionString, new FakeLogger<PostgreSqlNornStore>(rerun)))
        {
            Assert.Equal(first, await LoadAllAsync(store));
        }

        Assert.Equal(2, first.Count);
        var line = Assert.Single(rerun.GetSnapshot(), r => r.Id.Id == 2006);
        Assert.Equal("2", line.GetStructuredStateValue("Examined"));
        Assert.Equal("0", line.GetStructuredStateValue("Rekeyed"));
        Assert.Equal("0", line.GetStructuredStateValue("Merged"));
        Assert.Equal("0", line.GetStructuredStateValue("Rewritten"));
    }

    [Fact]
    public async Task A_host_already_listening_is_notified_of_what_the_re_key_changed()
    {
        await using var database = await TestDatabase.CreateAsync(Ct);
        var old = Legacy("alice", "uuid:ABC", "https://h.example/hook", T0);
        var merged = Legacy("bob", "uuid:Def", "https://d.example/", T0);
        var newer = Legacy("bob", "uuid:DEF", "https://d.example/", T0.AddMinutes(1));
        await CreateVersion1Async(database, old, merged, newer);
        await using var listening = new PostgreSqlNornStore(database.ConnectionString);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        await using var changes = listening.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = changes.MoveNextAsync();
        await listening.WhenListeningAsync().WaitAsync(TimeSpan.FromSeconds(30), Ct);

        await using (var migrating = new PostgreSqlNornStore(database.ConnectionString))
        {
            await migrating.InitializeAsync(Ct);
        }

        var seen = new List<(NornChangeKind, string?)>();
        while (true)
        {
            Assert.True(await next);
            if (changes.Current.Kind != NornChangeKind.Resync)
            {
                seen.Add((changes.Current.Kind, changes.Current.Id));
            }

            if (seen.Count == 5)
            {
                break;
            }

            next = changes.MoveNextAsync();
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

    /// <summary>The version 1 schema (its migration, as version 1 ran it) with legacy rows written as version 1 wrote them.</summary>
    private static async Task CreateVersion1Async(TestDatabase database, params Norn[] norns)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Ct);
        await using (var schema = new NpgsqlCommand(
            PostgreSqlSchema.Prepare + PostgreSqlSchema.Migrations[0].Sql + "INSERT INTO mimisbrunnr.schema_version (version) VALUES (1);",
            connection))
        {
            await schema.ExecuteNonQueryAsync(Ct);
        }

        foreach (var norn in norns)
        {
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO mimisbrunnr.norns (id, owner, device_id, device_key, expires_at, document, created_at, updated_at)
                VALUES (@id, @owner, @device_id, @device_key, @expires_at, @document, @created_at, @updated_at);
                """,
                connection);
            insert.Parameters.AddWithValue("id", norn.Id);
            insert.Parameters.AddWithValue("owner", norn.Owner);
            insert.Parameters.AddWithValue("device_id", norn.DeviceId);
            insert.Parameters.AddWithValue("device_key", norn.DeviceId.ToLowerInvariant());
            insert.Parameters.AddWithValue("expires_at", norn.ExpiresAt.ToUniversalTime());
            insert.Parameters.AddWithValue("document", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(norn, NornJsonContext.Default.Norn));
            insert.Parameters.AddWithValue("created_at", norn.CreatedAt.ToUniversalTime());
            insert.Parameters.AddWithValue("updated_at", norn.UpdatedAt.ToUniversalTime());
            await insert.ExecuteNonQueryAsync(Ct);
        }
    }

    private static async Task<SortedDictionary<string, Norn>> LoadAllAsync(PostgreSqlNornStore store)
    {
        var all = new SortedDictionary<string, Norn>(StringComparer.Ordinal);
        await foreach (var norn in store.LoadActiveAsync(T0, Ct))
        {
            all.Add(norn.Id, norn);
        }

        return all;
    }
}
