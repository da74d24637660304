using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing.Storage;

namespace Mimisbrunnr.PostgreSql.Tests;

/// <summary>The store contract, against a PostgreSQL database of its own per test.</summary>
public sealed class PostgreSqlNornStoreContractTests : NornStoreContractTests
{
    private TestDatabase? _database;

    protected override async ValueTask<INornStore> CreateStoreAsync()
    {
        _database = await TestDatabase.CreateAsync(Ct);
        return new PostgreSqlNornStore(_database.ConnectionString);
    }

    protected override async ValueTask DisposeStoreAsync(INornStore store)
    {
        await base.DisposeStoreAsync(store);
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    // LISTEN is established over the network: wait for it before writing.
    protected override Task WhenSubscribedAsync() =>
        ((PostgreSqlNornStore)Store).WhenListeningAsync().WaitAsync(TimeSpan.FromSeconds(30), Ct);
}
