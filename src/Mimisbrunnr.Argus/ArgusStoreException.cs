using Mimisbrunnr.Storage;
namespace Mimisbrunnr.Argus;

/// <summary>
/// Argus refused a request in a way that retrying will not fix: 400 (the item was invalid; <see cref="Reason"/> is
/// Argus's <c>X-Xmidt-Error</c>), or 401/403 (<see cref="IsConfigurationError"/>: the credentials, the owner or the
/// bucket of <c>Mimisbrunnr:Argus</c> are wrong). An Argus that cannot be reached raises
/// <see cref="Storage.NornStoreUnavailableException"/> instead.
/// </summary>
public sealed class ArgusStoreException : NornStoreException
{
    /// <summary>Creates an exception.</summary>
    public ArgusStoreException()
        : base("Argus refused the request.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What failed, without secrets.</param>
    public ArgusStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">What failed, without secrets.</param>
    /// <param name="innerException">The cause.</param>
    public ArgusStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for an Argus answer.</summary>
    /// <param name="message">What failed, without secrets.</param>
    /// <param name="statusCode">The HTTP status Argus (or the auth URL) answered.</param>
    /// <param name="reason">Argus's <c>X-Xmidt-Error</c> (or <c>X-Midt-Error</c>) header, if any.</param>
    /// <param name="isConfigurationError">Whether the host's Argus configuration is at fault (401, 403).</param>
    public ArgusStoreException(string message, int statusCode, string? reason, bool isConfigurationError)
        : base(message)
    {
        StatusCode = statusCode;
        Reason = reason;
        IsConfigurationError = isConfigurationError;
    }

    /// <summary>The HTTP status of the refusal, or 0 when there was no answer to speak of.</summary>
    public int StatusCode { get; }

    /// <summary>Argus's reason (the <c>X-Xmidt-Error</c> header), or <see langword="null"/>.</summary>
    public string? Reason { get; }

    /// <summary>
    /// Whether the refusal comes from this host's configuration (credentials, owner, bucket) rather than from one
    /// request: nothing will succeed until the configuration is fixed.
    /// </summary>
    public bool IsConfigurationError { get; }
}
