using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Argus;

/// <summary>
/// What this instance knows of the bucket: per item id, digests of its bytes and of its norn, and the few fields quotas
/// count (never the whole norn: the host's index holds those). A poll compares a listing with it and publishes the
/// differences; this instance's own writes update it, and are published, at once.
/// </summary>
/// <remarks>
/// <para>
/// Unchanged items cost one SHA-256 of their bytes and one dictionary lookup, with no allocation. An item whose bytes
/// changed is read as a norn; it is reported only when the norn's content changed, because Argus re-encodes the
/// documents it stores (a re-encoded document read once is then known by its new bytes).
/// </para>
/// <para>
/// A write made here while a poll is in flight wins over that poll's listing for its id (the listing may predate it);
/// the next poll settles the id. The first poll only learns the bucket and then publishes
/// <see cref="NornChangeKind.Resync"/>.
/// </para>
/// </remarks>
internal sealed partial class ArgusSnapshot : IDisposable
{
    private readonly NornChangeBroadcaster _changes;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    // Items whose norn has another id under the current identity rules (written by an earlier version).
    private readonly HashSet<string> _legacy = new(StringComparer.Ordinal);
    private readonly HashSet<string> _touchedDuringPoll = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _pollLock = new(1, 1);
    private readonly List<ArgusItemRef> _items = [];
    private readonly TaskCompletionSource _baselined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _pollInFlight;
    private long _stamp;
    private DateTimeOffset? _lastListedAt;

    public ArgusSnapshot(NornChangeBroadcaster changes, ILogger logger)
    {
        _changes = changes;
        _logger = logger;
    }

    /// <summary>Completes after the first successful poll.</summary>
    public Task Baselined => _baselined.Task;

    /// <summary>When the last successful listing was applied.</summary>
    public DateTimeOffset? LastListedAt
    {
        get
        {
            lock (_gate)
            {
                return _lastListedAt;
            }
        }
    }

    /// <summary>How many items (norns or not) are known.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Lists the bucket (one poll at a time) and applies the listing.</summary>
    /// <returns>How many norn changes the listing brought.</returns>
    public async Task<int> PollAsync(
        Func<CancellationToken, Task<ArgusBody>> list,
        Func<DateTimeOffset> now,
        CancellationToken cancellationToken)
    {
        await _pollLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                _pollInFlight = true;
                _touchedDuringPoll.Clear();
            }

            try
            {
                using var body = await list(cancellationToken).ConfigureAwait(false);
                return Apply(body.Span, now());
            }
            finally
            {
                lock (_gate)
                {
                    _pollInFlight = false;
                    _touchedDuringPoll.Clear();
                }
            }
        }
        finally
        {
            _pollLock.Release();
        }
    }

    /// <summary>Applies a bucket listing (the body of <c>GET /api/v1/store/{bucket}</c>) and publishes what changed.</summary>
    /// <returns>How many norn changes it brought (also counted, not published, by the first one).</returns>
    /// <exception cref="System.Text.Json.JsonException">The listing is not a JSON array; the view is unchanged.</exception>
    public int Apply(ReadOnlySpan<byte> json, DateTimeOffset listedAt)
    {
        _items.Clear();
        ArgusItems.ParseListing(json, _items);

        // Hash outside the lock: writers wait only for the comparison.
        var digests = ArrayPool<UInt128>.Shared.Rent(Math.Max(_items.Count, 1));
        try
        {
            for (var i = 0; i < _items.Count; i++)
            {
                digests[i] = ArgusItems.Digest(_items[i].Data(json));
            }

            lock (_gate)
            {
                return ApplyLocked(json, digests, listedAt);
            }
        }
        finally
        {
            ArrayPool<UInt128>.Shared.Return(digests);
        }
    }

    /// <summary>Records and publishes a norn this instance wrote (<paramref name="data"/>: the document it sent).</summary>
    public void Written(Norn norn, ReadOnlySpan<byte> data)
    {
        var raw = ArgusItems.Digest(data);
        var content = ArgusItems.ContentDigest(norn);
        lock (_gate)
        {
            if (_pollInFlight)
            {
                _touchedDuringPoll.Add(norn.Id);
            }

            if (!_entries.TryGetValue(norn.Id, out var entry))
            {
                entry = new Entry { Stamp = _stamp };
                _entries.Add(norn.Id, entry);
            }

            entry.RawDigest = raw;
            entry.Set(norn, content);
            Track(norn.Id, entry);
            _changes.Publish(new NornChange(NornChangeKind.Upserted, norn.Id, norn));
        }
    }

    /// <summary>
    /// Records a delete made by this instance and publishes it when something was deleted (or when the view still had
    /// a norn that Argus no longer has).
    /// </summary>
    public void Removed(string id, bool deleted)
    {
        lock (_gate)
        {
            if (_pollInFlight)
            {
                _touchedDuringPoll.Add(id);
            }

            var known = _entries.Remove(id, out var entry) && entry.IsNorn;
            _legacy.Remove(id);
            if (deleted || known)
            {
                _changes.Publish(new NornChange(NornChangeKind.Deleted, id, null));
            }
        }
    }

    /// <summary>
    /// Counts the live norns of an owner, and of that owner on a device (ignoring case: the device quota's scope), leaving
    /// one id out.
    /// </summary>
    public (int PerOwner, int PerDevice) CountLive(string owner, string deviceId, string excludedId, DateTimeOffset now)
    {
        var perOwner = 0;
        var perDevice = 0;
        lock (_gate)
        {
            foreach (var (id, entry) in _entries)
            {
                if (!entry.IsNorn || now >= entry.ExpiresAt || string.Equals(id, excludedId, StringComparison.Ordinal))
                {
                    continue;
                }

                if (!string.Equals(entry.Owner, owner, StringComparison.Ordinal))
                {
                    continue;
                }

                perOwner++;
                if (string.Equals(entry.DeviceId, deviceId, StringComparison.OrdinalIgnoreCase))
                {
                    perDevice++;
                }
            }
        }

        return (perOwner, perDevice);
    }

    /// <summary>
    /// The items of the view that hold the norn of <paramref name="currentId"/> under an older id: written by an earlier
    /// version, whose ids were derived from the device id and the URL as written (see <see cref="NornIdentity"/>).
    /// </summary>
    /// <returns>Their ids, usually none.</returns>
    public List<string> LegacyTwins(string currentId)
    {
        List<string> twins = [];
        lock (_gate)
        {
            foreach (var id in _legacy)
            {
                if (string.Equals(_entries[id].CurrentId, currentId, StringComparison.Ordinal))
                {
                    twins.Add(id);
                }
            }
        }

        return twins;
    }

    public void Dispose() => _pollLock.Dispose();

    private void Track(string id, Entry entry)
    {
        if (entry.CurrentId is null)
        {
            _legacy.Remove(id);
        }
        else
        {
            _legacy.Add(id);
        }
    }

    private int ApplyLocked(ReadOnlySpan<byte> json, UInt128[] digests, DateTimeOffset listedAt)
    {
        var publish = _baselined.Task.IsCompleted;
        var stamp = ++_stamp;
        var changes = 0;

        // Deletes go out before upserts, so that a host never holds an id this listing dropped next to one it added.
        List<NornChange>? upserts = null;
        var lookup = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> idChars = stackalloc char[ArgusItemRef.IdLength];
        for (var i = 0; i < _items.Count; i++)
        {
            var item = _items[i];
            Ascii.ToUtf16(item.Id(json), idChars, out _);
            if (lookup.TryGetValue(idChars, out var id, out var entry))
            {
                entry.Stamp = stamp;
                if (entry.RawDigest == digests[i] || (_touchedDuringPoll.Count > 0 && _touchedDuringPoll.Contains(id)))
                {
                    continue;
                }
            }
            else
            {
                id = new string(idChars);
                if (_touchedDuringPoll.Count > 0 && _touchedDuringPoll.Contains(id))
                {
                    // Deleted here after this listing was taken.
                    continue;
                }

                entry = new Entry { Stamp = stamp };
                _entries.Add(id, entry);
            }

            changes += Refresh(id, entry, item, json, digests[i], publish ? (upserts ??= []) : null);
        }

        List<string>? gone = null;
        foreach (var (id, entry) in _entries)
        {
            if (entry.Stamp != stamp && !_touchedDuringPoll.Contains(id))
            {
                (gone ??= []).Add(id);
            }
        }

        if (gone is not null)
        {
            foreach (var id in gone)
            {
                _legacy.Remove(id);
                if (_entries.Remove(id, out var entry) && entry.IsNorn)
                {
                    changes++;
                    if (publish)
                    {
                        _changes.Publish(new NornChange(NornChangeKind.Deleted, id, null));
                    }
                }
            }
        }

        if (upserts is not null)
        {
            foreach (var change in upserts)
            {
                _changes.Publish(change);
            }
        }

        _lastListedAt = listedAt;
        if (!publish)
        {
            _changes.Publish(new NornChange(NornChangeKind.Resync, null, null));
            _baselined.TrySetResult();
        }

        return changes;
    }

    /// <summary>Reads a changed item; a norn that went away is published at once, a new or changed one is queued.</summary>
    private int Refresh(string id, Entry entry, ArgusItemRef item, ReadOnlySpan<byte> json, UInt128 digest, List<NornChange>? upserts)
    {
        var publish = upserts is not null;
        entry.RawDigest = digest;
        var norn = ArgusItems.ReadNorn(item.Id(json), item.Data(json));
        if (norn is null)
        {
            Log.ForeignItem(_logger, id);
            var wasNorn = entry.IsNorn;
            entry.Clear();
            Track(id, entry);
            if (!wasNorn)
            {
                return 0;
            }

            if (publish)
            {
                _changes.Publish(new NornChange(NornChangeKind.Deleted, id, null));
            }

            return 1;
        }

        var content = ArgusItems.ContentDigest(norn);
        if (entry.IsNorn && entry.ContentDigest == content)
        {
            return 0;
        }

        entry.Set(norn, content);
        Track(id, entry);
        upserts?.Add(new NornChange(NornChangeKind.Upserted, id, norn));

        return 1;
    }

    private sealed class Entry
    {
        public UInt128 RawDigest { get; set; }

        public UInt128 ContentDigest { get; private set; }

        public bool IsNorn { get; private set; }

        public string Owner { get; private set; } = string.Empty;

        public string DeviceId { get; private set; } = string.Empty;

        public DateTimeOffset ExpiresAt { get; private set; }

        /// <summary>The norn's id under the current identity rules when it is not the item's id, else <see langword="null"/>.</summary>
        public string? CurrentId { get; private set; }

        public long Stamp { get; set; }

        public void Set(Norn norn, UInt128 content)
        {
            ContentDigest = content;
            IsNorn = true;
            Owner = norn.Owner;
            DeviceId = norn.DeviceId;
            ExpiresAt = norn.ExpiresAt;
            var currentId = NornIdentity.Normalize(norn).Id;
            CurrentId = string.Equals(currentId, norn.Id, StringComparison.Ordinal) ? null : currentId;
        }

        public void Clear()
        {
            ContentDigest = default;
            IsNorn = false;
            Owner = string.Empty;
            DeviceId = string.Empty;
            ExpiresAt = default;
            CurrentId = null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.ForeignItemPolled, LogLevel.Warning, "Argus item {Id} is not a norn of that id; it is ignored until it changes.")]
        public static partial void ForeignItem(ILogger logger, string id);
    }
}
