using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing.Storage;

namespace Mimisbrunnr.Sqlite.Tests;

/// <summary>The database file holds owners, URLs and (without keys) secrets: created private, committed durably.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SqliteFileTests : IDisposable
{
    private readonly TempSqliteDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_new_database_file_is_readable_and_writable_by_its_owner_only()
    {
        await using var store = new SqliteNornStore(_database.ConnectionString);

        await store.InitializeAsync(TestContext.Current.CancellationToken);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_database.Path));
    }

    [Fact]
    public async Task An_existing_file_keeps_the_permissions_its_operator_gave_it()
    {
        await File.WriteAllBytesAsync(_database.Path, [], TestContext.Current.CancellationToken);
        var chosen = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        File.SetUnixFileMode(_database.Path, chosen);
        await using var store = new SqliteNornStore(_database.ConnectionString);

        await store.InitializeAsync(TestContext.Current.CancellationToken);

        Assert.Equal(chosen, File.GetUnixFileMode(_database.Path));
    }

    [Theory]
    [InlineData(SqliteSynchronous.Full, 2L)]
    [InlineData(SqliteSynchronous.Normal, 1L)]
    public async Task Commits_are_as_durable_as_asked(SqliteSynchronous synchronous, long pragma)
    {
        await using var store = new SqliteNornStore(_database.ConnectionString, synchronous: synchronous);
        var norn = new Norn
        {
            Id = NornIdentity.Derive("mac:112233445566", "https://a.example/"),
            DeviceId = "mac:112233445566",
            Owner = "alice",
            Destination = new NornDestination { Http = new HttpDestination { Url = "https://a.example/" } },
            ExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        await store.UpsertAsync(norn, NornQuotas.Unlimited, TestContext.Current.CancellationToken);

        Assert.Equal(pragma, await store.ReadPragmaAsync("synchronous", TestContext.Current.CancellationToken));
    }
}
