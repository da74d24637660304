namespace Mimisbrunnr.Storage;

/// <summary>
/// The norn store failed a request for a reason of its own, not the caller's: it is unreachable, refuses this host's
/// credentials, or rejected a write. Hosts answer 503; <see cref="NornStoreUnavailableException"/> says when to retry.
/// </summary>
public class NornStoreException : Exception
{
    /// <summary>Creates an exception.</summary>
    public NornStoreException()
        : base("The norn store failed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What failed, without secrets.</param>
    public NornStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">What failed, without secrets.</param>
    /// <param name="innerException">The cause.</param>
    public NornStoreException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
