using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Client;

/// <summary>
/// The Mimisbrunnr <c>/norns</c> API for one authenticated caller. Every method throws
/// <see cref="MimisbrunnrApiException"/> (or one of its subclasses) when the server answers an error,
/// <see cref="HttpRequestException"/> when it cannot be reached, and <see cref="OperationCanceledException"/> when the
/// token is cancelled.
/// </summary>
/// <remarks>
/// A norn's id is derived from its device and destination, so registering the same pair again updates the norn
/// instead of adding one. The server never returns secrets: keep the <see cref="NornRequest"/> you registered if you
/// want to renew it (see <see cref="RenewAsync"/>).
/// </remarks>
public interface INornClient
{
    /// <summary>
    /// <c>POST /norns</c>: registers a norn for the request's device and destination, or updates the caller's norn for
    /// that pair.
    /// </summary>
    /// <param name="request">The norn: device id, ttl, destination, optional filter.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored norn (without secrets) and whether it was created (201) rather than updated (200).</returns>
    /// <exception cref="MimisbrunnrValidationException">The request breaks a rule (field and rule say which).</exception>
    /// <exception cref="MimisbrunnrConflictException">Another owner holds a norn for this device and destination.</exception>
    /// <exception cref="MimisbrunnrRateLimitedException">A quota is reached.</exception>
    Task<NornWriteOutcome> CreateOrUpdateAsync(NornRequest request, CancellationToken cancellationToken = default);

    /// <summary><c>GET /norns/{id}</c>: one of the caller's norns.</summary>
    /// <param name="id">The norn id (64 lowercase hex digits).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>
    /// The norn, or <see langword="null"/> when the server says no such norn exists for this caller (expired, deleted,
    /// or another owner's). A 404 that is not the API's own problem answer (a wrong base address, a proxy) throws.
    /// </returns>
    Task<NornResponse?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// <c>GET /norns</c>: the caller's live norns in ascending id order, fetched page by page as the enumeration goes,
    /// following the server's <c>Link: &lt;…&gt;; rel="next"</c> headers.
    /// </summary>
    /// <param name="deviceId">Only this device's norns (any spelling the server accepts), or <see langword="null"/> for all.</param>
    /// <param name="cancellationToken">Cancels the enumeration (also honoured through <c>WithCancellation</c>).</param>
    /// <returns>The norns.</returns>
    IAsyncEnumerable<NornResponse> ListAsync(string? deviceId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// <c>PUT /norns/{id}</c>: replaces one of the caller's norns. The request must name the same device and destination
    /// (the id derives from them); ttl, secret, failure URL, content type and filter may change.
    /// </summary>
    /// <param name="id">The norn id.</param>
    /// <param name="request">The complete new norn.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored norn.</returns>
    /// <exception cref="MimisbrunnrNotFoundException">No such norn for this caller.</exception>
    /// <exception cref="MimisbrunnrValidationException">The request breaks a rule, or names another device or destination.</exception>
    Task<NornResponse> UpdateAsync(string id, NornRequest request, CancellationToken cancellationToken = default);

    /// <summary><c>DELETE /norns/{id}</c>: removes one of the caller's norns.</summary>
    /// <param name="id">The norn id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns><see langword="true"/> when it was deleted; <see langword="false"/> when there was no such norn for this caller.</returns>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends a norn's life: registers <paramref name="registration"/> again (<c>POST /norns</c>) with a ttl of
    /// <paramref name="ttl"/> from now. Because a norn is identified by its device and destination, this renews the
    /// existing norn, or registers it afresh when it already expired (<see cref="NornWriteOutcome.Created"/> then says
    /// so). Pass the original request: the server never returns the secret, and a request without one would turn
    /// signing off.
    /// </summary>
    /// <param name="registration">The request the norn was registered with (its ttl is replaced).</param>
    /// <param name="ttl">The new time to live, from now; rounded up to whole seconds.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The renewed norn (with its new <see cref="NornResponse.ExpiresAt"/>) and whether it had to be created again.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is not positive.</exception>
    Task<NornWriteOutcome> RenewAsync(NornRequest registration, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>
    /// How one of the caller's norns is being delivered (the <c>delivery</c> object of <c>GET /norns/{id}</c>): state,
    /// buffered events, counts, last success and last failure, as seen by the server instance that answers.
    /// </summary>
    /// <param name="id">The norn id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The status, or <see langword="null"/> when no such norn exists for this caller.</returns>
    /// <exception cref="MimisbrunnrApiException">The server does not report delivery status (an older version), or answered an error.</exception>
    Task<NornDeliveryStatus?> GetDeliveryStatusAsync(string id, CancellationToken cancellationToken = default);

    /// <summary><c>GET /norns/{id}/attempts</c>: the last delivery attempts to one of the caller's norns, newest first.</summary>
    /// <param name="id">The norn id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The attempts (at most 20, on the instance that answers), or <see langword="null"/> when no such norn exists for this caller.</returns>
    Task<NornDeliveryAttempts?> GetAttemptsAsync(string id, CancellationToken cancellationToken = default);
}
