using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Norns;

/// <summary>
/// The in-memory index of live norns: device id → norns (copy-on-write arrays, so a reader gets a stable array without
/// a lock or an allocation) and id → norn. Readers never lock; writers (the synchronizer, the norn service, the
/// sweeper) are serialised by one lock. Kept in step with the store by <see cref="NornRegistrySynchronizer"/>.
/// </summary>
public sealed partial class NornRegistry : INornRegistry
{
    private readonly INornStore _store;
    private readonly ILogger _logger;
    private readonly Lock _writeLock = new();

    // Owner names repeat across many norns; one string each keeps idle norns small.
    private readonly ConcurrentDictionary<string, string> _owners = new(StringComparer.Ordinal);
    private volatile Index _index = new();

    /// <summary>Creates an empty registry.</summary>
    /// <param name="store">The store, for <see cref="RemoveAsync"/>.</param>
    /// <param name="logger">The logger.</param>
    public NornRegistry(INornStore store, ILogger<NornRegistry>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public event EventHandler<NornRegistryChangedEventArgs>? Changed;

    /// <inheritdoc />
    public int Count => _index.Count;

    /// <inheritdoc />
    public IReadOnlyList<RegisteredNorn> GetByDevice(DeviceId deviceId) =>
        !deviceId.IsEmpty && _index.ByDevice.TryGetValue(deviceId, out var norns) ? norns : [];

    /// <inheritdoc />
    public RegisteredNorn? Find(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _index.ById.GetValueOrDefault(id);
    }

    /// <inheritdoc />
    public async ValueTask RemoveAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await _store.DeleteAsync(id, owner: null, cancellationToken).ConfigureAwait(false);
        Remove(id);
    }

    /// <summary>
    /// Adds or replaces a norn in the index (not the store). Idempotent, and an older version (by
    /// <see cref="Norn.UpdatedAt"/>) never replaces a newer one, so direct application after a write and the later
    /// change-feed echo of the same write can arrive in either order.
    /// </summary>
    /// <param name="norn">The stored norn.</param>
    /// <returns>Whether the index changed.</returns>
    internal bool Apply(Norn norn)
    {
        ArgumentNullException.ThrowIfNull(norn);
        RegisteredNorn registered;
        lock (_writeLock)
        {
            var index = _index;
            var existing = index.ById.GetValueOrDefault(norn.Id);
            if (existing is not null && (norn.UpdatedAt < existing.Norn.UpdatedAt || existing.Norn.Equals(norn)))
            {
                return false;
            }

            var created = Create(norn, existing);
            if (created is null || ReferenceEquals(created, existing))
            {
                return false;
            }

            registered = created;
            if (existing is not null && existing.DeviceId != registered.DeviceId)
            {
                RemoveFromDevice(index, existing);
                existing = null;
            }

            index.ById[registered.Id] = registered;
            var current = index.ByDevice.GetValueOrDefault(registered.DeviceId) ?? [];
            var position = existing is null ? -1 : Array.IndexOf(current, existing);
            RegisteredNorn[] next;
            if (position >= 0)
            {
                next = (RegisteredNorn[])current.Clone();
                next[position] = registered;
            }
            else
            {
                next = [.. current, registered];
            }

            index.ByDevice[registered.DeviceId] = next;
            if (existing is null)
            {
                index.Count++;
            }
        }

        OnChanged(registered.Id, removed: false);
        return true;
    }

    /// <summary>Removes a norn from the index (not the store).</summary>
    /// <param name="id">The norn id.</param>
    /// <returns>Whether it was there.</returns>
    internal bool Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_writeLock)
        {
            if (!RemoveLocked(_index, id))
            {
                return false;
            }
        }

        OnChanged(id, removed: true);
        return true;
    }

    /// <summary>Removes from the index every norn that has expired at <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>The ids removed.</returns>
    internal IReadOnlyList<string> RemoveExpired(DateTimeOffset now)
    {
        var removed = new List<string>();
        lock (_writeLock)
        {
            var index = _index;
            foreach (var (id, norn) in index.ById)
            {
                if (norn.IsExpired(now))
                {
                    removed.Add(id);
                }
            }

            foreach (var id in removed)
            {
                RemoveLocked(index, id);
            }
        }

        foreach (var id in removed)
        {
            OnChanged(id, removed: true);
        }

        return removed;
    }

    /// <summary>
    /// Replaces the whole index with <paramref name="norns"/> in one step: readers see either the old or the new
    /// index, never a mix. Norns whose version did not change keep their compiled state, and
    /// <see cref="Changed"/> is raised only for norns that were added, replaced or removed.
    /// </summary>
    /// <param name="norns">Every live norn.</param>
    internal void Reset(IEnumerable<Norn> norns)
    {
        ArgumentNullException.ThrowIfNull(norns);
        var old = _index;
        var byId = new ConcurrentDictionary<string, RegisteredNorn>(StringComparer.Ordinal);
        var grouped = new Dictionary<DeviceId, List<RegisteredNorn>>();
        foreach (var norn in norns)
        {
            var existing = old.ById.GetValueOrDefault(norn.Id);
            var registered = existing is not null && existing.Norn.Equals(norn) ? existing : Create(norn, existing);
            if (registered is null || !byId.TryAdd(registered.Id, registered))
            {
                continue;
            }

            if (!grouped.TryGetValue(registered.DeviceId, out var list))
            {
                list = new List<RegisteredNorn>(1);
                grouped[registered.DeviceId] = list;
            }

            list.Add(registered);
        }

        var byDevice = new ConcurrentDictionary<DeviceId, RegisteredNorn[]>(
            grouped.Select(static g => new KeyValuePair<DeviceId, RegisteredNorn[]>(g.Key, [.. g.Value])));
        var next = new Index(byId, byDevice, byId.Count);
        lock (_writeLock)
        {
            old = _index;
            _index = next;
        }

        if (Changed is null)
        {
            return;
        }

        foreach (var (id, norn) in old.ById)
        {
            if (!next.ById.ContainsKey(id))
            {
                OnChanged(id, removed: true);
            }
        }

        foreach (var (id, norn) in next.ById)
        {
            if (!ReferenceEquals(old.ById.GetValueOrDefault(id), norn))
            {
                OnChanged(id, removed: false);
            }
        }
    }

    private static bool RemoveLocked(Index index, string id)
    {
        if (!index.ById.TryRemove(id, out var existing))
        {
            return false;
        }

        RemoveFromDevice(index, existing);
        index.Count--;
        return true;
    }

    private static void RemoveFromDevice(Index index, RegisteredNorn norn)
    {
        if (!index.ByDevice.TryGetValue(norn.DeviceId, out var current))
        {
            return;
        }

        var position = Array.IndexOf(current, norn);
        if (position < 0)
        {
            return;
        }

        if (current.Length == 1)
        {
            index.ByDevice.TryRemove(norn.DeviceId, out _);
            return;
        }

        var next = new RegisteredNorn[current.Length - 1];
        Array.Copy(current, 0, next, 0, position);
        Array.Copy(current, position + 1, next, position, next.Length - position);
        index.ByDevice[norn.DeviceId] = next;
    }

    /// <summary>Wraps a norn for the index, sharing repeated strings; <see langword="null"/> when it cannot be indexed.</summary>
    private RegisteredNorn? Create(Norn norn, RegisteredNorn? existing)
    {
        try
        {
            return new RegisteredNorn(Compact(norn));
        }
        catch (ArgumentException ex)
        {
            Log.NornNotIndexed(_logger, norn.Id, ex);
            return existing;
        }
    }

    private Norn Compact(Norn norn)
    {
        var owner = _owners.GetOrAdd(norn.Owner, norn.Owner);
        var http = norn.Destination.Http;
        var contentType = http?.ContentType switch
        {
            null => null,
            DeliveryContentTypes.Json => DeliveryContentTypes.Json,
            DeliveryContentTypes.MsgPack => DeliveryContentTypes.MsgPack,
            DeliveryContentTypes.Payload => DeliveryContentTypes.Payload,
            var other => other,
        };
        if (ReferenceEquals(owner, norn.Owner) && (http is null || ReferenceEquals(contentType, http.ContentType)))
        {
            return norn;
        }

        return norn with
        {
            Owner = owner,
            Destination = http is null ? norn.Destination : norn.Destination with { Http = http with { ContentType = contentType! } },
        };
    }

    private void OnChanged(string id, bool removed)
    {
        var handler = Changed;
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(this, new NornRegistryChangedEventArgs(id, removed));
        }
#pragma warning disable CA1031 // A failing subscriber must not stop the index from following the store.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.ChangedHandlerFailed(_logger, id, ex);
        }
    }

    private sealed class Index
    {
        public Index()
            : this(new(StringComparer.Ordinal), new(), 0)
        {
        }

        public Index(
            ConcurrentDictionary<string, RegisteredNorn> byId,
            ConcurrentDictionary<DeviceId, RegisteredNorn[]> byDevice,
            int count)
        {
            ById = byId;
            ByDevice = byDevice;
            _count = count;
        }

        private int _count;

        public ConcurrentDictionary<string, RegisteredNorn> ById { get; }

        public ConcurrentDictionary<DeviceId, RegisteredNorn[]> ByDevice { get; }

        public int Count
        {
            get => Volatile.Read(ref _count);
            set => Volatile.Write(ref _count, value);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Norn {NornId} cannot be indexed and is ignored.")]
        public static partial void NornNotIndexed(ILogger logger, string nornId, Exception exception);

        [LoggerMessage(2, LogLevel.Error, "A registry Changed handler failed for norn {NornId}.")]
        public static partial void ChangedHandlerFailed(ILogger logger, string nornId, Exception exception);
    }
}
