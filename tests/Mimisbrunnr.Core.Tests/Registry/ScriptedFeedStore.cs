using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Tests.Registry;

/// <summary>A store whose change feed the test writes, over an in-memory store that holds the norns.</summary>
internal sealed class ScriptedFeedStore : INornStore
{
    private readonly Channel<NornChange> _feed = Channel.CreateUnbounded<NornChange>();

    public InMemoryNornStore Inner { get; } = new();

    public int Subscriptions { get; private set; }

    public void Emit(NornChange change) => _feed.Writer.TryWrite(change);

    public ValueTask<NornWriteResult> UpsertAsync(Norn norn, NornQuotas quotas, CancellationToken cancellationToken = default) =>
        Inner.UpsertAsync(norn, quotas, cancellationToken);

    public ValueTask<Norn?> GetAsync(string id, CancellationToken cancellationToken = default) => Inner.GetAsync(id, cancellationToken);

    public ValueTask<bool> DeleteAsync(string id, string? owner, CancellationToken cancellationToken = default) =>
        Inner.DeleteAsync(id, owner, cancellationToken);

    public ValueTask<NornPage> ListAsync(NornQuery query, CancellationToken cancellationToken = default) =>
        Inner.ListAsync(query, cancellationToken);

    public IAsyncEnumerable<Norn> LoadActiveAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Inner.LoadActiveAsync(now, cancellationToken);

    public ValueTask<IReadOnlyList<string>> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Inner.DeleteExpiredAsync(now, cancellationToken);

    public IAsyncEnumerable<NornChange> WatchAsync(CancellationToken cancellationToken = default)
    {
        Subscriptions++;
        return ReadAsync(cancellationToken);
    }

    public ValueTask PingAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    private async IAsyncEnumerable<NornChange> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await _feed.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_feed.Reader.TryRead(out var change))
            {
                yield return change;
            }
        }
    }
}
