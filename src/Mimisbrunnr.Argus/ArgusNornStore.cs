using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Argus;

/// <summary>
/// Keeps norns in an XMiDT Argus bucket, as the original Go Mimisbrunnr did: one item per norn, its id the norn id, its
/// <c>data</c> the whole norn document, its <c>ttl</c> the norn's remaining lifetime, every item under the one Argus
/// owner of <see cref="ArgusStoreOptions.Owner"/>. Argus has no change feed, so <see cref="WatchAsync"/> reads the whole
/// bucket every <see cref="ArgusStoreOptions.PullInterval"/> and reports the differences.
/// </summary>
/// <remarks>
/// <para>
/// Argus knows nothing of Mimisbrunnr's owners or quotas; this store enforces them client side. A write reads the item
/// first (same owner: update, keeping <see cref="Norn.CreatedAt"/>; another owner's live norn: conflict; expired or
/// absent: create), counts quotas on its latest view of the bucket, then PUTs. Within one instance, writes of one id
/// are serialised and quota-checked creates are serialised, so the store behaves like the others.
/// </para>
/// <para>
/// Across instances it cannot: Argus has no compare-and-swap. Two instances that write the same device and destination
/// for two owners within the time of one GET and one PUT can both see "absent" and both succeed; the last PUT to
/// reach Argus wins and holds the norn, the other owner's registration is silently replaced (both got 201), and every
/// instance converges on the winner within one pull interval. Quotas are likewise best effort across instances: each
/// counts the bucket as of its last poll (at most about two pull intervals old) plus its own writes. Choose the
/// PostgreSQL store where either matters.
/// </para>
/// <para>
/// Quotas: the owner quota counts the owner's live norns, the device quota the owner's live norns on the device (other
/// owners' norns there do not count).
/// </para>
/// <para>
/// Identity: Argus has no schema to migrate, so items written by an earlier version, whose ids were derived from the
/// device id and the URL as written rather than from the device key and the normalised URL
/// (<see cref="NornIdentity"/>), keep their ids until the norn is written again: they are read, listed, routed and
/// deleted under their old id meanwhile, and Argus drops them when their ttl runs out. A write under the current id
/// treats such items ("legacy twins", found in this instance's view of the bucket) as that norn: the newest live one
/// decides between update and conflict, an update keeps its <see cref="Norn.CreatedAt"/>, and once the write succeeded
/// the twins are deleted — so a consumer renewing its registration moves it to the current id, without a duplicate. A
/// background re-key was not chosen: without compare-and-swap it could overwrite a newer write made meanwhile by
/// another instance, while a write the owner makes settles the item anyway, and every item expires within Argus's
/// itemMaxTTL. Documents are the whole <see cref="Norn"/>, partner ids included.
/// </para>
/// <para>
/// A poll that fails keeps the last view: nothing is reported deleted because Argus could not be reached. Writes and
/// reads that cannot reach Argus after their retries throw <see cref="NornStoreUnavailableException"/>; a 400 or a
/// 401/403 throws <see cref="ArgusStoreException"/>. <see cref="LastPollSucceededAt"/>, <see cref="LastPollError"/>,
/// <see cref="ConsecutivePollFailures"/> and <see cref="IsConfigurationError"/> feed the Argus health check.
/// </para>
/// <para>
/// Each listing, page or sweep reads the whole bucket (Argus has no paging or query), so this store suits the norn
/// counts of an XMiDT estate (thousands to tens of thousands), not millions.
/// </para>
/// </remarks>
public sealed partial class ArgusNornStore : INornStore, INornChangeFeedStatus, IAsyncDisposable, IDisposable
{
    private const int LockStripes = 64;

    private readonly ArgusStoreOptions _options;
    private readonly ArgusClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly NornChangeBroadcaster _changes = new();
    private readonly SemaphoreSlim[] _idLocks = new SemaphoreSlim[LockStripes];
    private readonly SemaphoreSlim _quotaLock = new(1, 1);
    private readonly ArgusSnapshot _snapshot;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _pollerGate = new();
    private readonly Lock _healthGate = new();
    private Task? _poller;
    private DateTimeOffset? _lastPollSucceededAt;
    private string? _lastPollError;
    private int _consecutivePollFailures;
    private bool _isConfigurationError;
    private int _disposed;

    /// <summary>Creates a store over an Argus bucket. Nothing is sent until the store is first used.</summary>
    /// <param name="httpClient">
    /// Sends the requests to Argus and to the token source (not disposed by the store). Its own timeout should be
    /// longer than <see cref="ArgusStoreOptions.Timeout"/>, which the store applies to each attempt.
    /// </param>
    /// <param name="options">The Argus server, bucket, owner and credentials; read once, here.</param>
    /// <param name="timeProvider">The clock for poll intervals, timeouts and backoff (default: the system clock).</param>
    /// <param name="logger">The logger (credentials are never logged).</param>
    /// <exception cref="ArgumentException">The options are invalid; the message names each key.</exception>
    public ArgusNornStore(
        HttpClient httpClient,
        ArgusStoreOptions options,
        TimeProvider? timeProvider = null,
        ILogger<ArgusNornStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        var failures = ArgusStoreOptionsValidator.Check(options);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), nameof(options));
        }

        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _client = new ArgusClient(httpClient, options, _time, _logger);
        _client.Refused += OnRefused;
        _snapshot = new ArgusSnapshot(_changes, _logger);
        for (var i = 0; i < _idLocks.Length; i++)
        {
            _idLocks[i] = new SemaphoreSlim(1, 1);
        }
    }

    /// <summary>When the last poll of the bucket succeeded, or <see langword="null"/> before the first.</summary>
    public DateTimeOffset? LastPollSucceededAt
    {
        get
        {
            lock (_healthGate)
            {
                return _lastPollSucceededAt;
            }
        }
    }

    /// <summary>Why the last poll failed, or <see langword="null"/> when it succeeded (never contains credentials).</summary>
    public string? LastPollError
    {
        get
        {
            lock (_healthGate)
            {
                return _lastPollError;
            }
        }
    }

    /// <summary>How many polls in a row have failed (0 after a success). Meanwhile the last view of the bucket is kept.</summary>
    public int ConsecutivePollFailures
    {
        get
        {
            lock (_healthGate)
            {
                return _consecutivePollFailures;
            }
        }
    }

    /// <summary>Whether the bucket is being followed: the last poll succeeded and Argus accepts this host's credentials.</summary>
    public bool IsFollowing => ConsecutivePollFailures == 0 && !IsConfigurationError;

    /// <summary>Why the bucket is not being followed (the last poll's error), when it is not.</summary>
    public string? Problem => IsFollowing ? null : LastPollError ?? "Argus refuses this host's credentials.";

    /// <summary>
    /// Whether Argus (or the token source) refused this host's credentials, owner or bucket (401/403) since the last
    /// successful poll: nothing will work until <c>Mimisbrunnr:Argus</c> is fixed.
    /// </summary>
    public bool IsConfigurationError
    {
        get
        {
            lock (_healthGate)
            {
                return _isConfigurationError;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The item's ttl is the norn's remaining lifetime at <see cref="Norn.UpdatedAt"/>, rounded up to a whole second,
    /// so Argus drops the item by itself about when the norn expires. See the class remarks for what "atomic" means here.
    /// </remarks>
    public async ValueTask<NornWriteResult> UpsertAsync(Norn norn, NornQuotas quotas, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(norn);
        ThrowIfDisposed();
        if (!ArgusItems.IsValidId(norn.Id))
        {
            throw new ArgumentException("A norn id is 64 lowercase hex characters (an Argus item id).", nameof(norn));
        }

        var idLock = LockFor(norn.Id);
        await idLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = norn.UpdatedAt;
            var existing = await ReadAsync(norn.Id, cancellationToken).ConfigureAwait(false);
            var twins = await ReadLegacyTwinsAsync(norn.Id, cancellationToken).ConfigureAwait(false);

            // The norn this write meets: the newest live one of the item at its id and its legacy twins.
            var current = existing is not null && !existing.IsExpired(now) ? existing : null;
            foreach (var twin in twins)
            {
                if (!twin.IsExpired(now) && (current is null || twin.UpdatedAt > current.UpdatedAt))
                {
                    current = twin;
                }
            }

            NornWriteResult result;
            if (current is not null)
            {
                if (!string.Equals(current.Owner, norn.Owner, StringComparison.Ordinal))
                {
                    return new NornWriteResult(NornWriteStatus.Conflict, null);
                }

                result = await WriteAsync(norn with { CreatedAt = current.CreatedAt }, NornWriteStatus.Updated, cancellationToken)
                    .ConfigureAwait(false);
            }
            else if (quotas.MaxPerOwner == int.MaxValue && quotas.MaxPerDevice == int.MaxValue)
            {
                result = await WriteAsync(norn, NornWriteStatus.Created, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Quota-checked creates of this instance take turns, so that two of them never count the same free slot.
                await _quotaLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await EnsureRecentViewAsync(cancellationToken).ConfigureAwait(false);
                    var (perOwner, perDevice) = _snapshot.CountLive(norn.Owner, norn.DeviceId, norn.Id, now);
                    if (perOwner >= quotas.MaxPerOwner)
                    {
                        return new NornWriteResult(NornWriteStatus.OwnerQuotaExceeded, null);
                    }

                    if (perDevice >= quotas.MaxPerDevice)
                    {
                        return new NornWriteResult(NornWriteStatus.DeviceQuotaExceeded, null);
                    }

                    result = await WriteAsync(norn, NornWriteStatus.Created, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _quotaLock.Release();
                }
            }

            await DeleteLegacyTwinsAsync(norn.Id, twins, cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            idLock.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>An expired norn that Argus has already dropped is <see langword="null"/>, like an absent one.</remarks>
    public async ValueTask<Norn?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        ThrowIfDisposed();
        return ArgusItems.IsValidId(id) ? await ReadAsync(id, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <inheritdoc />
    /// <remarks>
    /// With an owner, the item is read first and deleted only when it is that owner's norn; between the two another
    /// instance may replace it (Argus has no conditional delete), a window of one round trip.
    /// </remarks>
    public async ValueTask<bool> DeleteAsync(string id, string? owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        ThrowIfDisposed();
        if (!ArgusItems.IsValidId(id))
        {
            return false;
        }

        var idLock = LockFor(id);
        await idLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (owner is not null)
            {
                var existing = await ReadAsync(id, cancellationToken).ConfigureAwait(false);
                if (existing is null || !string.Equals(existing.Owner, owner, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            var deleted = await _client.DeleteItemAsync(id, cancellationToken).ConfigureAwait(false);
            _snapshot.Removed(id, deleted);
            return deleted;
        }
        finally
        {
            idLock.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>Reads the whole bucket and filters it here: Argus can neither query nor page.</remarks>
    public async ValueTask<NornPage> ListAsync(NornQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        ThrowIfDisposed();
        var items = new List<Norn>(Math.Min(query.Limit, 64));
        var more = false;
        using (var body = await _client.ListAsync(retry: true, cancellationToken).ConfigureAwait(false))
        {
            foreach (var norn in ReadNorns(body, query.After))
            {
                if (norn.IsExpired(query.Now)
                    || !string.Equals(norn.Owner, query.Owner, StringComparison.Ordinal)
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

        return new NornPage(items, more ? items[^1].Id : null);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<Norn> LoadActiveAsync(
        DateTimeOffset now,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        List<Norn> active = [];
        using (var body = await _client.ListAsync(retry: true, cancellationToken).ConfigureAwait(false))
        {
            foreach (var norn in ReadNorns(body, after: null))
            {
                if (!norn.IsExpired(now))
                {
                    active.Add(norn);
                }
            }
        }

        foreach (var norn in active)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return norn;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Argus drops items when their ttl runs out, so this mostly finds nothing; it deletes the items this host judges
    /// expired at <paramref name="now"/> (clocks differ), each read again just before its delete so that a norn renewed
    /// meanwhile by another instance survives (short of the one-round-trip window Argus leaves).
    /// </remarks>
    public async ValueTask<IReadOnlyList<string>> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        List<string> expired = [];
        using (var body = await _client.ListAsync(retry: true, cancellationToken).ConfigureAwait(false))
        {
            foreach (var norn in ReadNorns(body, after: null))
            {
                if (norn.IsExpired(now))
                {
                    expired.Add(norn.Id);
                }
            }
        }

        List<string> deleted = [];
        foreach (var id in expired)
        {
            var idLock = LockFor(id);
            await idLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var current = await ReadAsync(id, cancellationToken).ConfigureAwait(false);
                if (current is not null && current.IsExpired(now) && await _client.DeleteItemAsync(id, cancellationToken).ConfigureAwait(false))
                {
                    _snapshot.Removed(id, deleted: true);
                    deleted.Add(id);
                }
            }
            finally
            {
                idLock.Release();
            }
        }

        return deleted;
    }

    /// <inheritdoc />
    /// <remarks>
    /// The first subscription starts the poller. Its first poll only learns the bucket and then reports
    /// <see cref="NornChangeKind.Resync"/> (anything written before it is in the reload that follows); every later
    /// poll reports what changed since the one before. Writes made through this store are reported at once.
    /// </remarks>
    public IAsyncEnumerable<NornChange> WatchAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var subscription = _changes.Subscribe(cancellationToken);
        lock (_pollerGate)
        {
            _poller ??= Task.Run(() => PollLoopAsync(_disposing.Token), CancellationToken.None);
        }

        return subscription;
    }

    /// <inheritdoc />
    /// <remarks>Asks for an item id that cannot exist: cheap whatever the size of the bucket.</remarks>
    public async ValueTask PingAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _client.PingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops polling and ends the change feed subscriptions.</summary>
    /// <returns>A task that completes when the poller has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        Task? poller;
        lock (_pollerGate)
        {
            poller = _poller;
        }

        if (poller is not null)
        {
            await poller.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _changes.Dispose();
        _client.Refused -= OnRefused;
        _client.Dispose();
        _snapshot.Dispose();
        _disposing.Dispose();
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Completes once the poller has learnt the bucket (its first successful poll).</summary>
    internal Task WhenPollingAsync() => _snapshot.Baselined;

    /// <summary>Reads the bucket and reports what changed, as the poller does.</summary>
    internal Task PollOnceAsync(CancellationToken cancellationToken) => PollAsync(retry: true, cancellationToken);

    private async Task PollLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await PollAsync(retry: false, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed poll is reported through the health properties; the next poll retries.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            try
            {
                await Task.Delay(_options.PullInterval, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task PollAsync(bool retry, CancellationToken cancellationToken)
    {
        try
        {
            var changes = await _snapshot.PollAsync(
                ct => _client.ListAsync(retry, ct), _time.GetUtcNow, cancellationToken).ConfigureAwait(false);
            bool recovered;
            lock (_healthGate)
            {
                recovered = _consecutivePollFailures > 0;
                _lastPollSucceededAt = _time.GetUtcNow();
                _lastPollError = null;
                _consecutivePollFailures = 0;
                _isConfigurationError = false;
            }

            if (recovered)
            {
                Log.PollRecovered(_logger, _options.Bucket);
            }

            if (changes > 0)
            {
                Log.Polled(_logger, _options.Bucket, changes);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            int failures;
            lock (_healthGate)
            {
                failures = ++_consecutivePollFailures;
                _lastPollError = ex.Message;
                _isConfigurationError |= ex is ArgusStoreException { IsConfigurationError: true };
            }

            if (failures == 1)
            {
                Log.PollFailing(_logger, _options.Bucket, ex.Message);
            }
            else
            {
                Log.PollStillFailing(_logger, _options.Bucket, failures, ex.Message);
            }

            throw;
        }
    }

    /// <summary>Polls when the view is older than two pull intervals (no poller running, or a poller that is failing).</summary>
    private async Task EnsureRecentViewAsync(CancellationToken cancellationToken)
    {
        if (_snapshot.LastListedAt is { } listed && _time.GetUtcNow() - listed <= _options.PullInterval * 2)
        {
            return;
        }

        await PollAsync(retry: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<NornWriteResult> WriteAsync(Norn norn, NornWriteStatus status, CancellationToken cancellationToken)
    {
        var data = ArgusItems.SerializeNorn(norn);
        var item = ArgusItems.SerializeItem(norn.Id, data, TtlSeconds(norn));
        await _client.PutItemAsync(norn.Id, item, cancellationToken).ConfigureAwait(false);
        _snapshot.Written(norn, data);
        return new NornWriteResult(status, norn);
    }

    /// <summary>
    /// The norns that items of this instance's view hold under an older id for <paramref name="currentId"/> (see the class
    /// remarks), each read again: the view may be older than the bucket.
    /// </summary>
    private async Task<List<Norn>> ReadLegacyTwinsAsync(string currentId, CancellationToken cancellationToken)
    {
        List<Norn> twins = [];
        foreach (var id in _snapshot.LegacyTwins(currentId))
        {
            if (await ReadAsync(id, cancellationToken).ConfigureAwait(false) is { } twin
                && string.Equals(NornIdentity.Normalize(twin).Id, currentId, StringComparison.Ordinal))
            {
                twins.Add(twin);
            }
        }

        return twins;
    }

    /// <summary>
    /// Deletes the legacy twins of a norn just written under <paramref name="currentId"/>. The write stands whatever
    /// happens here: a twin that cannot be deleted now is logged and deleted by the next write of the norn.
    /// </summary>
    private async Task DeleteLegacyTwinsAsync(string currentId, List<Norn> twins, CancellationToken cancellationToken)
    {
        foreach (var twin in twins)
        {
            try
            {
                var deleted = await _client.DeleteItemAsync(twin.Id, cancellationToken).ConfigureAwait(false);
                _snapshot.Removed(twin.Id, deleted);
                Log.Rekeyed(_logger, twin.Id, currentId, _options.Bucket);
            }
            catch (Exception ex) when (ex is NornStoreUnavailableException or ArgusStoreException)
            {
                Log.RekeyDeferred(_logger, twin.Id, currentId, _options.Bucket, ex.Message);
            }
        }
    }

    private static long TtlSeconds(Norn norn)
    {
        var remaining = norn.ExpiresAt - norn.UpdatedAt;
        return remaining <= TimeSpan.Zero ? 1 : Math.Max(1, (long)Math.Ceiling(remaining.TotalSeconds));
    }

    private async Task<Norn?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        using var body = await _client.GetItemAsync(id, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return null;
        }

        var json = body.Span;
        var norn = ArgusItems.TryParseItem(json, out var item) ? ArgusItems.ReadNorn(item.Id(json), item.Data(json)) : null;
        if (norn is null || !string.Equals(norn.Id, id, StringComparison.Ordinal))
        {
            Log.ForeignItem(_logger, id, _options.Bucket);
            return null;
        }

        return norn;
    }

    /// <summary>The norns of a listing in ascending id order, after <paramref name="after"/>; other items are skipped.</summary>
    private static List<Norn> ReadNorns(ArgusBody body, string? after)
    {
        var json = body.Span;
        var items = new List<ArgusItemRef>();
        try
        {
            ArgusItems.ParseListing(json, items);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new ArgusStoreException("Argus answered a bucket listing that is not a JSON array of items.", ex);
        }

        var ids = new string[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            ids[i] = System.Text.Encoding.ASCII.GetString(items[i].Id(json));
        }

        // Argus sorts its listing by id; sorting again costs nothing when it is sorted and keeps paging right if not.
        var order = new int[items.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(ids, order, StringComparer.Ordinal);
        var norns = new List<Norn>();
        for (var k = 0; k < ids.Length; k++)
        {
            if (after is not null && string.CompareOrdinal(ids[k], after) <= 0)
            {
                continue;
            }

            var item = items[order[k]];
            if (ArgusItems.ReadNorn(item.Id(json), item.Data(json)) is { } norn)
            {
                norns.Add(norn);
            }
        }

        return norns;
    }

    private SemaphoreSlim LockFor(string id) =>
        _idLocks[(int)((uint)StringComparer.Ordinal.GetHashCode(id) % LockStripes)];

    private void OnRefused(ArgusStoreException exception)
    {
        lock (_healthGate)
        {
            _isConfigurationError = true;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private static partial class Log
    {
        [LoggerMessage(EventIds.PollFailing, LogLevel.Warning, "Polling Argus bucket {Bucket} failed: {Reason}. The last view is kept; nothing is deleted meanwhile.")]
        public static partial void PollFailing(ILogger logger, string bucket, string reason);

        [LoggerMessage(EventIds.PollStillFailing, LogLevel.Debug, "Polling Argus bucket {Bucket} failed {Failures} times in a row: {Reason}.")]
        public static partial void PollStillFailing(ILogger logger, string bucket, int failures, string reason);

        [LoggerMessage(EventIds.PollRecovered, LogLevel.Information, "Polling Argus bucket {Bucket} works again.")]
        public static partial void PollRecovered(ILogger logger, string bucket);

        [LoggerMessage(EventIds.Polled, LogLevel.Debug, "Argus bucket {Bucket}: {Changes} norn changes since the last poll.")]
        public static partial void Polled(ILogger logger, string bucket, int changes);

        [LoggerMessage(EventIds.ForeignItem, LogLevel.Warning, "Argus item {Id} in bucket {Bucket} is not a norn of that id; it is ignored.")]
        public static partial void ForeignItem(ILogger logger, string id, string bucket);

        [LoggerMessage(EventIds.Rekeyed, LogLevel.Information, "Argus item {OldId} in bucket {Bucket}, written under older identity rules, was rewritten as {Id} and deleted.")]
        public static partial void Rekeyed(ILogger logger, string oldId, string id, string bucket);

        [LoggerMessage(EventIds.RekeyDeferred, LogLevel.Warning, "Argus item {OldId} in bucket {Bucket} was rewritten as {Id} but could not be deleted ({Reason}); the next write of the norn deletes it.")]
        public static partial void RekeyDeferred(ILogger logger, string oldId, string id, string bucket, string reason);
    }
}
