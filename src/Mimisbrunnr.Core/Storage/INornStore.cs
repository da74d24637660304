using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Storage;

/// <summary>
/// The persistence port for norns. Implementations: <c>InMemoryNornStore</c> (tests, single process), SQLite
/// (embedded default), PostgreSQL (several host instances), Argus (XMiDT compatibility). Every implementation passes
/// the shared store contract tests. All members are safe for concurrent callers.
/// </summary>
/// <remarks>
/// A store keeps the whole <see cref="Norn"/> (partner ids included) and returns it as written. Ids follow
/// <see cref="NornIdentity"/>; a durable store whose rows were written under older identity rules brings them to the
/// current ones (<see cref="NornIdentity.Normalize"/>) when it migrates its schema, or documents how it does otherwise.
/// </remarks>
public interface INornStore
{
    /// <summary>
    /// Creates the norn, or updates it when a norn with the same id exists and has the same owner. An existing norn
    /// of another owner that has not expired is a <see cref="NornWriteStatus.Conflict"/> and nothing is written; an
    /// expired one is replaced as if absent. On update, the stored <see cref="Norn.CreatedAt"/> is kept. Quotas are
    /// checked on create only, counting non-expired norns, atomically with the write: the owner quota counts the
    /// norns of <see cref="Norn.Owner"/>; the device quota counts the norns of <see cref="Norn.Owner"/> on the device
    /// (<see cref="NornIdentity.DeviceKey"/>), never other owners' norns there, so that no tenant can fill a device and
    /// lock the others out. The owner quota is checked first. The time of the write, at which "expired" is judged for
    /// the conflict and quota checks, is <see cref="Norn.UpdatedAt"/> of <paramref name="norn"/> (the caller's clock),
    /// so that stores need no clock of their own.
    /// </summary>
    /// <param name="norn">The norn to write.</param>
    /// <param name="quotas">The limits to enforce on create.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The outcome and, on success, the norn as stored.</returns>
    ValueTask<NornWriteResult> UpsertAsync(Norn norn, NornQuotas quotas, CancellationToken cancellationToken = default);

    /// <summary>Gets a norn by id (expired or not), or <see langword="null"/>.</summary>
    /// <param name="id">The norn id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The norn or <see langword="null"/>.</returns>
    ValueTask<Norn?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Deletes a norn. With an <paramref name="owner"/>, only a norn of that owner is deleted.</summary>
    /// <param name="id">The norn id.</param>
    /// <param name="owner">The owner that must match, or <see langword="null"/> for a system delete (expiry, 410).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether a norn was deleted.</returns>
    ValueTask<bool> DeleteAsync(string id, string? owner, CancellationToken cancellationToken = default);

    /// <summary>Lists an owner's non-expired norns in ascending id order, one page at a time.</summary>
    /// <param name="query">Owner, optional device filter, the id to start after, and the page size.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The page and the id to continue after, if there are more.</returns>
    ValueTask<NornPage> ListAsync(NornQuery query, CancellationToken cancellationToken = default);

    /// <summary>Streams every norn that has not expired at <paramref name="now"/> (to fill a host's index).</summary>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The norns.</returns>
    IAsyncEnumerable<Norn> LoadActiveAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Deletes every norn that has expired at <paramref name="now"/>; safe when several hosts sweep at once.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The ids deleted by this call.</returns>
    ValueTask<IReadOnlyList<string>> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Follows the writes and deletes made through this store and, for shared stores, by other hosts. Each call
    /// returns an independent subscription that lives until <paramref name="cancellationToken"/> is cancelled. A
    /// <see cref="NornChangeKind.Resync"/> change means changes may have been missed: reload everything.
    /// </summary>
    /// <param name="cancellationToken">Ends the subscription.</param>
    /// <returns>The changes, in the order they were made.</returns>
    IAsyncEnumerable<NornChange> WatchAsync(CancellationToken cancellationToken = default);

    /// <summary>Checks that the store answers (health checks).</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the store answered; throws when it did not.</returns>
    ValueTask PingAsync(CancellationToken cancellationToken = default);
}

/// <summary>The outcome of <see cref="INornStore.UpsertAsync"/>.</summary>
public enum NornWriteStatus
{
    /// <summary>A new norn was stored.</summary>
    Created,

    /// <summary>The caller's existing norn was updated.</summary>
    Updated,

    /// <summary>The id belongs to a live norn of another owner; nothing was written.</summary>
    Conflict,

    /// <summary>The owner already has the maximum number of norns; nothing was written.</summary>
    OwnerQuotaExceeded,

    /// <summary>The owner already has the maximum number of norns on the device; nothing was written.</summary>
    DeviceQuotaExceeded,
}

/// <summary>The result of a write.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Norn">The norn as stored (for Created/Updated), otherwise <see langword="null"/>.</param>
public sealed record NornWriteResult(NornWriteStatus Status, Norn? Norn);

/// <summary>Limits enforced when a norn is created (see <see cref="INornStore.UpsertAsync"/>).</summary>
/// <param name="MaxPerOwner">Maximum live norns per owner, over all devices.</param>
/// <param name="MaxPerDevice">
/// Maximum live norns per owner on one device (same owner and same <see cref="NornIdentity.DeviceKey"/>); other owners'
/// norns on the device do not count.
/// </param>
public readonly record struct NornQuotas(int MaxPerOwner, int MaxPerDevice)
{
    /// <summary>No limits.</summary>
    public static NornQuotas Unlimited { get; } = new(int.MaxValue, int.MaxValue);
}

/// <summary>A page request for <see cref="INornStore.ListAsync"/>.</summary>
/// <param name="Owner">Whose norns.</param>
/// <param name="DeviceId">Only this canonical device id, when set.</param>
/// <param name="After">Start after this id (exclusive), when set.</param>
/// <param name="Limit">Page size (1..1000).</param>
/// <param name="Now">Norns expired at this time are left out.</param>
public sealed record NornQuery(string Owner, string? DeviceId, string? After, int Limit, DateTimeOffset Now);

/// <summary>One page of norns.</summary>
/// <param name="Items">The norns, in ascending id order.</param>
/// <param name="NextAfter">The id to pass as <see cref="NornQuery.After"/> for the next page, or <see langword="null"/> at the end.</param>
public sealed record NornPage(IReadOnlyList<Norn> Items, string? NextAfter);

/// <summary>What a <see cref="NornChange"/> reports.</summary>
public enum NornChangeKind
{
    /// <summary>A norn was created or updated.</summary>
    Upserted,

    /// <summary>A norn was deleted.</summary>
    Deleted,

    /// <summary>Changes may have been missed (for example after a reconnect): reload everything.</summary>
    Resync,
}

/// <summary>A change reported by <see cref="INornStore.WatchAsync"/>.</summary>
/// <param name="Kind">What changed.</param>
/// <param name="Id">The norn id (not set for <see cref="NornChangeKind.Resync"/>).</param>
/// <param name="Norn">The norn as stored, when the store has it at hand; otherwise read it with <see cref="INornStore.GetAsync"/>.</param>
public sealed record NornChange(NornChangeKind Kind, string? Id, Norn? Norn);
