using Microsoft.Extensions.Options;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Management;

/// <summary>
/// The application service behind the norn endpoints: validates requests, derives ids, enforces ownership and quotas
/// through the store, and applies every successful write to this host's registry at once (so that an event posted
/// right after registering finds the norn; the change feed later confirms the same write idempotently). It is also the
/// one owner of removals, whoever asks: the API (<see cref="DeleteAsync"/>), a destination that is gone (HTTP 410) and
/// expiry (<see cref="SweepExpiredAsync"/>) all delete from the store first and then from the index.
/// </summary>
/// <remarks>
/// Ownership is never revealed: a norn of another owner looks exactly like a missing one to
/// <see cref="GetAsync"/>, <see cref="UpdateAsync"/> and <see cref="DeleteAsync"/>. Only creating a norn for a device
/// and destination pair that another owner holds is a <see cref="NornConflictException"/> (HTTP 409).
/// </remarks>
public sealed class NornService : INornRemoval
{
    /// <summary>The largest page <see cref="ListAsync"/> returns.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>The most partner ids a norn carries.</summary>
    public const int MaxPartnerIds = 100;

    /// <summary>The longest partner id accepted.</summary>
    public const int MaxPartnerIdLength = 256;

    private readonly INornStore _store;
    private readonly NornRegistry _registry;
    private readonly NornValidator _validator;
    private readonly TimeProvider _timeProvider;
    private readonly IOptionsMonitor<MimisbrunnrOptions> _options;
    private readonly INornSecretProtector _secrets;

    internal NornService(
        INornStore store,
        NornRegistry registry,
        NornValidator validator,
        TimeProvider timeProvider,
        IOptionsMonitor<MimisbrunnrOptions> options,
        INornSecretProtector? secretProtector = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _registry = registry;
        _validator = validator;
        _timeProvider = timeProvider;
        _options = options;
        _secrets = secretProtector ?? NornSecretProtector.None;
    }

    /// <summary>
    /// <c>POST /norns</c>: creates the norn for the request's device and destination, or updates it when the caller
    /// already owns it. The norn takes the caller's partner ids.
    /// </summary>
    /// <param name="caller">The authenticated owner and its partner ids.</param>
    /// <param name="request">The request body.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored norn (without secrets) and whether it was created.</returns>
    /// <exception cref="NornValidationException">
    /// The request breaks a rule, or partner ids are enforced and the caller has none (field <c>partnerIds</c>) (400).
    /// </exception>
    /// <exception cref="NornConflictException">Another owner holds the device and destination pair (409).</exception>
    /// <exception cref="NornQuotaExceededException">The owner has too many norns, or too many on the device (429).</exception>
    public async Task<NornWriteOutcome> CreateOrUpdateAsync(NornCaller caller, NornRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var validated = await _validator.ValidateAsync(request, cancellationToken).ConfigureAwait(false);
        var existing = await GetOwnedAsync(caller.Owner, validated.Id, cancellationToken).ConfigureAwait(false);
        return await WriteAsync(caller, validated, existing?.DeviceId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /norns/{id}</c>: the caller's norn.</summary>
    /// <param name="owner">The authenticated owner.</param>
    /// <param name="id">The norn id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The norn (without secrets), or <see langword="null"/> when it does not exist or is not the caller's.</returns>
    public async Task<NornResponse?> GetAsync(string owner, string id, CancellationToken cancellationToken = default)
    {
        var norn = await GetOwnedAsync(owner, id, cancellationToken).ConfigureAwait(false);
        return norn is null ? null : NornResponse.From(norn);
    }

    /// <summary>
    /// <c>PUT /norns/{id}</c>: replaces the caller's norn. The body must describe the same device and destination (the
    /// id is derived from them); only ttl, secret, failure URL, content type, SQS settings and filter can change.
    /// </summary>
    /// <param name="caller">The authenticated owner and its partner ids (the norn takes them).</param>
    /// <param name="id">The norn id from the route.</param>
    /// <param name="request">The request body.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The updated norn, or <see langword="null"/> when it does not exist or is not the caller's (404).</returns>
    /// <exception cref="NornValidationException">
    /// The request breaks a rule, or names another device (field <c>deviceId</c>) or destination (field
    /// <c>destination</c>) than the norn's (rule <c>immutable</c>).
    /// </exception>
    public async Task<NornResponse?> UpdateAsync(NornCaller caller, string id, NornRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(request);
        var validated = await _validator.ValidateAsync(request, cancellationToken).ConfigureAwait(false);
        var existing = await GetOwnedAsync(caller.Owner, id, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return null;
        }

        if (!string.Equals(validated.Id, existing.Id, StringComparison.Ordinal))
        {
            throw string.Equals(validated.DeviceId.ToString(), existing.DeviceId, StringComparison.OrdinalIgnoreCase)
                ? new NornValidationException(
                    "destination", "immutable", "destination (its url or queueUrl) cannot change; register a new norn instead.")
                : new NornValidationException("deviceId", "immutable", "deviceId cannot change; register a new norn instead.");
        }

        var outcome = await WriteAsync(caller, validated, existing.DeviceId, cancellationToken).ConfigureAwait(false);
        return outcome.Norn;
    }

    /// <summary><c>DELETE /norns/{id}</c>: deletes the caller's norn.</summary>
    /// <param name="owner">The authenticated owner.</param>
    /// <param name="id">The norn id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether a norn of the caller was deleted (otherwise 404).</returns>
    public async Task<bool> DeleteAsync(string owner, string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(id);
        if (!NornIdentity.IsWellFormed(id))
        {
            return false;
        }

        var deleted = await _store.DeleteAsync(id, owner, cancellationToken).ConfigureAwait(false);
        if (deleted)
        {
            _registry.Remove(id);
        }

        return deleted;
    }

    /// <summary>
    /// Deletes every norn that has expired from the store, and from this host's index every expired norn (including
    /// those another host already deleted from a shared store, whose delete may still be on its way).
    /// </summary>
    /// <param name="cancellationToken">Cancels the store call.</param>
    /// <returns>How many norns were deleted from the store and how many removed from the index.</returns>
    internal async Task<(int Deleted, int Removed)> SweepExpiredAsync(CancellationToken cancellationToken = default)
    {
        var now = _timeProvider.GetUtcNow();
        var deleted = await _store.DeleteExpiredAsync(now, cancellationToken).ConfigureAwait(false);
        var removed = 0;
        foreach (var id in deleted)
        {
            if (_registry.Remove(id))
            {
                removed++;
            }
        }

        removed += _registry.RemoveExpired(now).Count;
        return (deleted.Count, removed);
    }

    /// <inheritdoc />
    async ValueTask INornRemoval.RemoveGoneAsync(string nornId, CancellationToken cancellationToken)
    {
        await _store.DeleteAsync(nornId, owner: null, cancellationToken).ConfigureAwait(false);
        _registry.Remove(nornId);
    }

    /// <summary><c>GET /norns</c>: the caller's live norns in ascending id order, one page at a time.</summary>
    /// <param name="owner">The authenticated owner.</param>
    /// <param name="deviceId">Only this device's norns (any accepted spelling), when set.</param>
    /// <param name="after">Continue after this id (the previous page's <see cref="NornListPage.NextAfter"/>).</param>
    /// <param name="limit">Page size, 1..<see cref="MaxPageSize"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The page.</returns>
    /// <exception cref="NornValidationException">The device id, cursor or limit is invalid (fields <c>deviceId</c>, <c>after</c>, <c>limit</c>).</exception>
    public async Task<NornListPage> ListAsync(
        string owner,
        string? deviceId = null,
        string? after = null,
        int limit = 100,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (limit is < 1 or > MaxPageSize)
        {
            throw new NornValidationException("limit", "range", $"limit {limit} is outside 1..{MaxPageSize}.");
        }

        if (!string.IsNullOrEmpty(after) && !NornIdentity.IsWellFormed(after))
        {
            throw new NornValidationException("after", "format", "after must be a norn id (64 lowercase hex characters).");
        }

        var canonical = string.IsNullOrEmpty(deviceId) ? null : NornValidator.ValidateDeviceId(deviceId).ToString();
        var page = await _store.ListAsync(
            new NornQuery(owner, canonical, string.IsNullOrEmpty(after) ? null : after, limit, _timeProvider.GetUtcNow()),
            cancellationToken).ConfigureAwait(false);
        return new NornListPage([.. page.Items.Select(NornResponse.From)], page.NextAfter);
    }

    private async Task<Norn?> GetOwnedAsync(string owner, string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(id);
        if (!NornIdentity.IsWellFormed(id))
        {
            return null;
        }

        var norn = await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return norn is not null
            && string.Equals(norn.Owner, owner, StringComparison.Ordinal)
            && !norn.IsExpired(_timeProvider.GetUtcNow())
            ? norn
            : null;
    }

    /// <summary>
    /// The partner ids a norn of this caller carries: none when they are not enforced (<see langword="null"/>), else
    /// the caller's, distinct and in order; a caller without any cannot register (XMiDT refuses such registrations).
    /// </summary>
    private static string[]? CheckPartnerIds(IReadOnlyList<string>? partnerIds)
    {
        if (partnerIds is null)
        {
            return null;
        }

        var distinct = partnerIds.Where(static p => !string.IsNullOrWhiteSpace(p)).Select(static p => p.Trim()).Distinct(StringComparer.Ordinal).ToArray();
        if (distinct.Length == 0)
        {
            throw new NornValidationException(
                "partnerIds",
                "required",
                "partnerIds: the caller has no partner ids, so its norns could receive no event; its credentials must name at least one partner.");
        }

        if (distinct.Length > MaxPartnerIds)
        {
            throw new NornValidationException(
                "partnerIds", "count", $"partnerIds: the caller has {distinct.Length} partner ids; the maximum is {MaxPartnerIds}.");
        }

        if (distinct.FirstOrDefault(static p => p.Length > MaxPartnerIdLength) is { } tooLong)
        {
            throw new NornValidationException(
                "partnerIds", "length", $"partnerIds: a partner id is {tooLong.Length} characters long; the maximum is {MaxPartnerIdLength}.");
        }

        return distinct;
    }

    /// <summary>
    /// Writes the norn; an update keeps the device id as first registered (<paramref name="registeredDeviceId"/>), as
    /// every spelling of the device is this one norn.
    /// </summary>
    private async Task<NornWriteOutcome> WriteAsync(
        NornCaller caller, ValidatedNorn validated, string? registeredDeviceId, CancellationToken cancellationToken)
    {
        var partnerIds = CheckPartnerIds(caller.PartnerIds);
        var quotas = _options.CurrentValue.Quotas;
        var written = validated.ToNorn(caller.Owner, _timeProvider.GetUtcNow()) with { PartnerIds = partnerIds };
        if (registeredDeviceId is not null)
        {
            written = written with { DeviceId = registeredDeviceId };
        }

        var norn = NornSecrets.Protect(written, _secrets);
        var result = await _store.UpsertAsync(
            norn, new NornQuotas(quotas.MaxNornsPerOwner, quotas.MaxNornsPerDevice), cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case NornWriteStatus.Created or NornWriteStatus.Updated when result.Norn is not null:
                _registry.Apply(result.Norn);
                return new NornWriteOutcome(NornResponse.From(result.Norn), result.Status == NornWriteStatus.Created);
            case NornWriteStatus.Conflict:
                throw new NornConflictException(
                    $"The device {norn.DeviceId} and this destination are registered by another owner.");
            case NornWriteStatus.OwnerQuotaExceeded:
                throw new NornQuotaExceededException(
                    "perOwner", $"The owner already has the maximum of {quotas.MaxNornsPerOwner} norns.");
            case NornWriteStatus.DeviceQuotaExceeded:
                throw new NornQuotaExceededException(
                    "perDevice", $"The owner already has the maximum of {quotas.MaxNornsPerDevice} norns for the device {norn.DeviceId}.");
            default:
                throw new InvalidOperationException($"The store answered {result.Status} without a norn.");
        }
    }
}

/// <summary>The result of <see cref="NornService.CreateOrUpdateAsync"/>.</summary>
/// <param name="Norn">The norn as stored, without secrets.</param>
/// <param name="Created">Whether it was created (201) rather than updated (200).</param>
public sealed record NornWriteOutcome(NornResponse Norn, bool Created);

/// <summary>A page of <see cref="NornService.ListAsync"/>.</summary>
/// <param name="Items">The norns, without secrets, in ascending id order.</param>
/// <param name="NextAfter">Pass as <c>after</c> for the next page; <see langword="null"/> at the end.</param>
public sealed record NornListPage(IReadOnlyList<NornResponse> Items, string? NextAfter);

/// <summary>Who asks: the authenticated owner and, when partner ids are enforced, the partner ids of its credentials.</summary>
/// <param name="Owner">The owner (the principal's name); owners compare exactly.</param>
/// <param name="PartnerIds">
/// The caller's partner ids (<c>*</c>: every partner), which a norn it writes carries; <see langword="null"/> when
/// partner ids are not enforced, so that its norns carry none and receive every event of their device.
/// </param>
public sealed record NornCaller(string Owner, IReadOnlyList<string>? PartnerIds = null)
{
    /// <summary>The owner, checked.</summary>
    public string Owner { get; } = string.IsNullOrEmpty(Owner) ? throw new ArgumentException("An owner is required.", nameof(Owner)) : Owner;
}
