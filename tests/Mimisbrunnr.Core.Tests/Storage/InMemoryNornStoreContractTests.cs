using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing.Storage;

namespace Mimisbrunnr.Tests.Storage;

/// <summary>The store contract, against the in-memory store.</summary>
public sealed class InMemoryNornStoreContractTests : NornStoreContractTests
{
    protected override ValueTask<INornStore> CreateStoreAsync() => ValueTask.FromResult<INornStore>(new InMemoryNornStore());
}
