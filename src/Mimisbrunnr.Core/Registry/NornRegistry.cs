using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Registry;

/// <summary>
/// The in-memory index of live norns: device id → norns (MAC devices in a flat open-addressing table,
/// <see cref="MacDeviceTable"/>, other ids in a dictionary; a device's norns are one norn or a copy-on-write array, so
/// a reader gets a stable list without a lock or an allocation) and id → norn. Readers never lock; writers (the synchronizer, the norn service, the
/// sweeper) are serialised by one lock. Kept in step with the store by <see cref="NornRegistrySynchronizer"/>.
/// </summary>
internal sealed partial class NornRegistry : INornRegistry
{
    private readonly ILogger _logger;
    private readonly Lock _writeLock = new();

    // Owner names and partner lists repeat across many norns; one instance each keeps idle norns small.
    private readonly ConcurrentDictionary<string, string> _owners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string[]> _partners = new(StringComparer.Ordinal);
    private volatile Index _index = new();

    public NornRegistry(ILogger<NornRegistry>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public event EventHandler<NornRegistryChangedEventArgs>? Changed;

    /// <inheritdoc />
    public int Count => _index.Count;

    /// <inheritdoc />
    public DeviceNorns GetByDevice(DeviceId deviceId) =>
        deviceId.IsEmpty ? default : _index.GetNorns(DeviceKey.From(deviceId));

    /// <inheritdoc />
    public RegisteredNorn? Find(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _index.ById.GetValueOrDefault(id);
    }

    /// <summary>
    /// Adds or replaces a norn in the index (not the store). Idempotent, and an older version (by
    /// <see cref="Norn.UpdatedAt"/>) never replaces a newer one, so direct application after a write and the later
    /// change-feed echo of the same write can arrive in either order.
    /// </summary>
    /// <param name="norn">The stored norn.</param>
    /// <param name="latest">
    /// The norn was just read from the store, so it is the current version whatever its <see cref="Norn.UpdatedAt"/>:
    /// hosts sharing a store stamp their writes with their own clocks, and a write from a host whose clock is behind
    /// must still replace the version it replaced in the store.
    /// </param>
    /// <returns>Whether the index changed.</returns>
    internal bool Apply(Norn norn, bool latest = false)
    {
        ArgumentNullException.ThrowIfNull(norn);
        RegisteredNorn registered;
        lock (_writeLock)
        {
            var index = _index;
            var existing = index.ById.GetValueOrDefault(norn.Id);
            if (existing is not null && ((!latest && norn.UpdatedAt < existing.Norn.UpdatedAt) || SameVersion(existing.Norn, norn)))
            {
                return false;
            }

            var created = Create(norn, existing);
            if (created is null || ReferenceEquals(created, existing))
            {
                return false;
            }

            registered = created;
            var deviceId = registered.DeviceId; // parsed from the stored norn: once here
            if (existing is not null && existing.DeviceId != deviceId)
            {
                RemoveFromDevice(index, existing);
                existing = null;
            }

            index.ById[registered.Id] = registered;
            var key = DeviceKey.From(deviceId);
            var current = DeviceNorns.FromStored(index.Get(key));
            var position = existing is null ? -1 : current.IndexOf(existing);
            index.Set(key, position >= 0 ? current.Replace(position, registered) : current.Add(registered));
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
        var loader = BeginReset();
        foreach (var norn in norns)
        {
            loader.Add(norn);
        }

        Commit(loader);
    }

    /// <summary>
    /// Starts building a replacement index norn by norn (<see cref="Loader.Add"/>), for a load that streams from the
    /// store: no list of every norn is held, and each norn goes into the new index as it arrives. Nothing is visible
    /// until <see cref="Commit"/>, which has the effect of <see cref="Reset"/>.
    /// </summary>
    /// <returns>The loader.</returns>
    internal Loader BeginReset() => new(this, _index);

    /// <summary>Publishes what <paramref name="loader"/> built, as <see cref="Reset"/> does.</summary>
    /// <param name="loader">A loader from <see cref="BeginReset"/> of this registry.</param>
    internal void Commit(Loader loader)
    {
        ArgumentNullException.ThrowIfNull(loader);
        var next = loader.Build();
        Index old;
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
        var key = DeviceKey.From(norn.DeviceId);
        var current = DeviceNorns.FromStored(index.Get(key));
        var position = current.IndexOf(norn);
        if (position >= 0)
        {
            index.Set(key, current.RemoveAt(position));
        }
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

    /// <summary>Whether two versions of a norn hold the same data (filters compared by content).</summary>
    private static bool SameVersion(Norn a, Norn b) =>
        a.UpdatedAt == b.UpdatedAt
        && a.ExpiresAt == b.ExpiresAt
        && a.CreatedAt == b.CreatedAt
        && string.Equals(a.Id, b.Id, StringComparison.Ordinal)
        && string.Equals(a.DeviceId, b.DeviceId, StringComparison.Ordinal)
        && string.Equals(a.Owner, b.Owner, StringComparison.Ordinal)
        && a.Destination == b.Destination
        && SameFilter(a.Filter, b.Filter)
        && (a.PartnerIds ?? []).SequenceEqual(b.PartnerIds ?? [], StringComparer.Ordinal);

    private static bool SameFilter(NornFilter? a, NornFilter? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        var aEvents = a.Events ?? [];
        var bEvents = b.Events ?? [];
        if (!aEvents.SequenceEqual(bEvents, StringComparer.Ordinal))
        {
            return false;
        }

        var aCount = a.Metadata?.Count ?? 0;
        if (aCount != (b.Metadata?.Count ?? 0))
        {
            return false;
        }

        return aCount == 0 || a.Metadata!.All(p => b.Metadata!.TryGetValue(p.Key, out var v) && string.Equals(v, p.Value, StringComparison.Ordinal));
    }

    /// <summary>
    /// Shares what repeats across norns (owner names, content types, filter patterns) and stores filter metadata
    /// compactly, so that a million idle norns stay well under a KiB each.
    /// </summary>
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
        var filter = CompactFilter(norn.Filter);
        var partners = CompactPartners(norn.PartnerIds);
        if (ReferenceEquals(owner, norn.Owner)
            && (http is null || ReferenceEquals(contentType, http.ContentType))
            && ReferenceEquals(filter, norn.Filter)
            && ReferenceEquals(partners, norn.PartnerIds))
        {
            return norn;
        }

        return norn with
        {
            Owner = owner,
            PartnerIds = partners,
            Destination = http is null || ReferenceEquals(contentType, http.ContentType)
                ? norn.Destination
                : norn.Destination with { Http = http with { ContentType = contentType! } },
            Filter = filter,
        };
    }

    /// <summary>One shared array per distinct list of partner ids (most tenants register many norns).</summary>
    private IReadOnlyList<string>? CompactPartners(IReadOnlyList<string>? partners)
    {
        if (partners is null or { Count: 0 })
        {
            return null;
        }

        var key = string.Join('\n', partners);
        return _partners.GetOrAdd(key, static (_, list) => [.. list], partners);
    }

    private static NornFilter? CompactFilter(NornFilter? filter)
    {
        if (filter is null || (filter.Metadata is null or CompactMetadata && filter.Events is null or { Count: 0 }))
        {
            return filter;
        }

        string[]? events = null;
        if (filter.Events is { Count: > 0 } patterns)
        {
            events = new string[patterns.Count];
            for (var i = 0; i < events.Length; i++)
            {
                // The shared regex keeps the first copy of each pattern; use that one.
                events[i] = patterns[i] is { } pattern && TryShare(pattern, out var shared) ? shared : patterns[i];
            }
        }

        var metadata = filter.Metadata switch
        {
            null or CompactMetadata => filter.Metadata,
            { Count: 0 } => null,
            var pairs => new CompactMetadata([.. pairs]),
        };
        return new NornFilter { Events = events, Metadata = metadata };
    }

    private static bool TryShare(string pattern, out string shared)
    {
        try
        {
            shared = EventFilter.GetRegex(pattern).ToString();
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            shared = pattern;
            return false;
        }
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

    /// <summary>Builds a replacement index one norn at a time (see <see cref="BeginReset"/>); not thread-safe.</summary>
    /// <remarks>
    /// The norns are collected in a plain dictionary first and the index is built once their number is known: a
    /// <see cref="ConcurrentDictionary{TKey, TValue}"/> that grows allocates every node again at each resize (a
    /// million norns would leave about two million dead nodes behind), while one built from the dictionary is sized
    /// once, and so is the MAC device table.
    /// </remarks>
    internal sealed class Loader
    {
        private readonly NornRegistry _registry;
        private readonly Index _old;
        private readonly Dictionary<string, RegisteredNorn> _byId;

        internal Loader(NornRegistry registry, Index old)
        {
            _registry = registry;
            _old = old;

            // A reload is about as large as the index it replaces.
            _byId = new Dictionary<string, RegisteredNorn>(old.Count, StringComparer.Ordinal);
        }

        /// <summary>Adds a live norn (a second norn with an id already added, or one that cannot be indexed, is skipped).</summary>
        /// <param name="norn">The stored norn.</param>
        public void Add(Norn norn)
        {
            ArgumentNullException.ThrowIfNull(norn);
            var existing = _old.ById.GetValueOrDefault(norn.Id);
            var registered = existing is not null && SameVersion(existing.Norn, norn) ? existing : _registry.Create(norn, existing);
            if (registered is not null)
            {
                _byId.TryAdd(registered.Id, registered);
            }
        }

        /// <summary>The index of every norn added (in the order added, which is each device's norn order).</summary>
        internal Index Build()
        {
            var next = new Index(new ConcurrentDictionary<string, RegisteredNorn>(Environment.ProcessorCount, _byId, StringComparer.Ordinal), _byId.Count, _byId.Count);
            foreach (var registered in _byId.Values)
            {
                var key = DeviceKey.From(registered.DeviceId);
                next.Set(key, DeviceNorns.FromStored(next.Get(key)).Add(registered));
            }

            return next;
        }
    }

    internal sealed class Index
    {
        // MAC devices (most XMiDT devices) in the flat table; other ids, keyed by their text, in a dictionary.
        private readonly MacDeviceTable _macs;
        private readonly ConcurrentDictionary<DeviceKey, object> _others = new();

        public Index()
            : this(new(StringComparer.Ordinal), 0, 0)
        {
        }

        public Index(ConcurrentDictionary<string, RegisteredNorn> byId, int devices, int count)
        {
            ById = byId;
            _macs = new MacDeviceTable(devices);
            _count = count;
        }

        private int _count;

        public ConcurrentDictionary<string, RegisteredNorn> ById { get; }

        /// <summary>The norns of a device, for readers (with the routing summary of a lone MAC norn).</summary>
        public DeviceNorns GetNorns(DeviceKey key) =>
            key.Mac != 0 ? _macs.Get(key.Mac) : DeviceNorns.FromStored(_others.GetValueOrDefault(key));

        /// <summary>What is stored for a device (see <see cref="DeviceNorns.Stored"/>).</summary>
        public object? Get(DeviceKey key) => key.Mac != 0 ? _macs.GetStored(key.Mac) : _others.GetValueOrDefault(key);

        /// <summary>Stores a device's norns; <see langword="null"/> removes the device. Under the write lock.</summary>
        public void Set(DeviceKey key, object? norns)
        {
            if (key.Mac != 0)
            {
                _macs.Set(key.Mac, norns);
            }
            else if (norns is null)
            {
                _others.TryRemove(key, out _);
            }
            else
            {
                _others[key] = norns;
            }
        }

        public int Count
        {
            get => Volatile.Read(ref _count);
            set => Volatile.Write(ref _count, value);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.NornNotIndexed, LogLevel.Error, "Norn {NornId} cannot be indexed and is ignored.")]
        public static partial void NornNotIndexed(ILogger logger, string nornId, Exception exception);

        [LoggerMessage(EventIds.ChangedHandlerFailed, LogLevel.Error, "A registry Changed handler failed for norn {NornId}.")]
        public static partial void ChangedHandlerFailed(ILogger logger, string nornId, Exception exception);
    }
}
