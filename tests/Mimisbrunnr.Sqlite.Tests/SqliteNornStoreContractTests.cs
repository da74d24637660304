using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing.Storage;

namespace Mimisbrunnr.Sqlite.Tests;

/// <summary>The store contract, against a SQLite file of its own per test.</summary>
public sealed class SqliteNornStoreContractTests : NornStoreContractTests
{
    private readonly TempSqliteDatabase _database = new();

    protected override ValueTask<INornStore> CreateStoreAsync() =>
        ValueTask.FromResult<INornStore>(new SqliteNornStore(_database.ConnectionString));

    protected override async ValueTask DisposeStoreAsync(INornStore store)
    {
        await base.DisposeStoreAsync(store);
        _database.Dispose();
    }
}
