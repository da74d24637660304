using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing.Storage;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>The store contract, against the Argus double, a bucket of its own per test.</summary>
public sealed class ArgusNornStoreContractTests(ArgusFixture argus) : NornStoreContractTests, IClassFixture<ArgusFixture>
{
    protected override ValueTask<INornStore> CreateStoreAsync() =>
        ValueTask.FromResult<INornStore>(Stores.Create(argus.Argus, Stores.NewBucket()));

    // The feed is live once the poller has learnt the bucket (its first poll reports only a resync).
    protected override Task WhenSubscribedAsync() => ((ArgusNornStore)Store).WhenPollingAsync().WaitAsync(TimeSpan.FromSeconds(30));
}
