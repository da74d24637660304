using System.Runtime.CompilerServices;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Storage;

/// <summary>
/// A thread-safe <see cref="INornStore"/> that keeps norns in process memory: for tests and single-process hosts
/// that need no durability. Writes are serialised by one lock; the change feed is in-process.
/// </summary>
/// <remarks>
/// The time of a write (for conflicts and quotas) is the norn's <see cref="Norn.UpdatedAt"/>. Norns are indexed by owner
/// and by owner and device key, the scopes of the two quotas.
/// </remarks>
internal sealed class InMemoryNornStore : INornStore, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Norn> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<string>> _byOwner = new(StringComparer.Ordinal);
    // The device quota's scope: owner and device key.
    private readonly Dictionary<(string Owner, string DeviceKey), HashSet<string>> _byOwnerDevice = new();
    private readonly NornChangeBroadcaster _changes = new();

    /// <summary>The number of stored norns, expired ones included.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byId.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<NornWriteResult> UpsertAsync(Norn norn, NornQuotas quotas, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(norn);
        cancellationToken.ThrowIfCancellationRequested();
        var now = norn.UpdatedAt;
        lock (_gate)
        {
            if (_byId.TryGetValue(norn.Id, out var existing) && !existing.IsExpired(now))
            {
                if (!string.Equals(existing.Owner, norn.Owner, StringComparison.Ordinal))
                {
                    return ValueTask.FromResult(new NornWriteResult(NornWriteStatus.Conflict, null));
                }

                var updated = norn with { CreatedAt = existing.CreatedAt };
                Put(existing, updated);
                _changes.Publish(new NornChange(NornChangeKind.Upserted, updated.Id, updated));
                return ValueTask.FromResult(new NornWriteResult(NornWriteStatus.Updated, updated));
            }

            if (CountLive(_byOwner, norn.Owner, now) >= quotas.MaxPerOwner)
            {
                return ValueTask.FromResult(new NornWriteResult(NornWriteStatus.OwnerQuotaExceeded, null));
            }

            if (CountLive(_byOwnerDevice, OwnerDevice(norn), now) >= quotas.MaxPerDevice)
            {
                return ValueTask.FromResult(new NornWriteResult(NornWriteStatus.DeviceQuotaExceeded, null));
            }

            Put(existing, norn);
            _changes.Publish(new NornChange(NornChangeKind.Upserted, norn.Id, norn));
            return ValueTask.FromResult(new NornWriteResult(NornWriteStatus.Created, norn));
        }
    }

    /// <inheritdoc />
    public ValueTask<Norn?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            return ValueTask.FromResult(_byId.GetValueOrDefault(id));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string id, string? owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out var existing)
                || (owner is not null && !string.Equals(existing.Owner, owner, StringComparison.Ordinal)))
            {
                return ValueTask.FromResult(false);
            }

            Remove(existing);
            _changes.Publish(new NornChange(NornChangeKind.Deleted, id, null));
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<NornPage> ListAsync(NornQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        cancellationToken.ThrowIfCancellationRequested();
        var items = new List<Norn>(Math.Min(query.Limit, 64));
        var more = false;
        lock (_gate)
        {
            if (_byOwner.TryGetValue(query.Owner, out var ids))
            {
                foreach (var id in ids)
                {
                    if (query.After is not null && string.CompareOrdinal(id, query.After) <= 0)
                    {
                        continue;
                    }

                    var norn = _byId[id];
                    if (norn.IsExpired(query.Now)
                        || (query.DeviceId is not null && !string.Equals(norn.DeviceId, query.DeviceId, StringComparison.OrdinalIgnoreCase)))
                    {
                        continue;
                    }

                    if (items.Count == query.Limit)
                    {
                        more = true;
                        break;
                    }

                    items.Add(norn);
                }
            }
        }

        return ValueTask.FromResult(new NornPage(items, more ? items[^1].Id : null));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<Norn> LoadActiveAsync(
        DateTimeOffset now,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Norn[] snapshot;
        lock (_gate)
        {
            snapshot = [.. _byId.Values];
        }

        foreach (var norn in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!norn.IsExpired(now))
            {
                yield return norn;
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var deleted = new List<string>();
        lock (_gate)
        {
            foreach (var norn in _byId.Values)
            {
                if (norn.IsExpired(now))
                {
                    deleted.Add(norn.Id);
                }
            }

            foreach (var id in deleted)
            {
                Remove(_byId[id]);
                _changes.Publish(new NornChange(NornChangeKind.Deleted, id, null));
            }
        }

        return ValueTask.FromResult<IReadOnlyList<string>>(deleted);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<NornChange> WatchAsync(CancellationToken cancellationToken = default) =>
        _changes.Subscribe(cancellationToken);

    /// <inheritdoc />
    public ValueTask PingAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.CompletedTask;
    }

    /// <summary>Ends every change feed subscription.</summary>
    public void Dispose() => _changes.Dispose();

    private int CountLive(Dictionary<string, SortedSet<string>> index, string key, DateTimeOffset now) =>
        index.TryGetValue(key, out var ids) ? CountLive(ids, now) : 0;

    private int CountLive(Dictionary<(string, string), HashSet<string>> index, (string, string) key, DateTimeOffset now) =>
        index.TryGetValue(key, out var ids) ? CountLive(ids, now) : 0;

    private static (string Owner, string DeviceKey) OwnerDevice(Norn norn) => (norn.Owner, NornIdentity.DeviceKey(norn.DeviceId));

    private int CountLive(IEnumerable<string> ids, DateTimeOffset now)
    {
        var count = 0;
        foreach (var id in ids)
        {
            if (!_byId[id].IsExpired(now))
            {
                count++;
            }
        }

        return count;
    }

    private void Put(Norn? previous, Norn norn)
    {
        if (previous is not null)
        {
            Remove(previous);
        }

        _byId[norn.Id] = norn;
        if (!_byOwner.TryGetValue(norn.Owner, out var owned))
        {
            owned = new SortedSet<string>(StringComparer.Ordinal);
            _byOwner[norn.Owner] = owned;
        }

        owned.Add(norn.Id);
        var ownerDevice = OwnerDevice(norn);
        if (!_byOwnerDevice.TryGetValue(ownerDevice, out var ofDevice))
        {
            ofDevice = new HashSet<string>(StringComparer.Ordinal);
            _byOwnerDevice[ownerDevice] = ofDevice;
        }

        ofDevice.Add(norn.Id);
    }

    private void Remove(Norn norn)
    {
        _byId.Remove(norn.Id);
        if (_byOwner.TryGetValue(norn.Owner, out var owned) && owned.Remove(norn.Id) && owned.Count == 0)
        {
            _byOwner.Remove(norn.Owner);
        }

        var ownerDevice = OwnerDevice(norn);
        if (_byOwnerDevice.TryGetValue(ownerDevice, out var ofDevice) && ofDevice.Remove(norn.Id) && ofDevice.Count == 0)
        {
            _byOwnerDevice.Remove(ownerDevice);
        }
    }
}
