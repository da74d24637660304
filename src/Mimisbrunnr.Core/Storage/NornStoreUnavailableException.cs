namespace Mimisbrunnr.Storage;

/// <summary>
/// The norn store could not be reached or kept failing (transport errors, timeouts, 5xx) after its own retries. Hosts
/// answer 503 with <c>Retry-After</c> from <see cref="RetryAfter"/>: the request may well succeed later, unlike a
/// validation or configuration error.
/// </summary>
public sealed class NornStoreUnavailableException : NornStoreException
{
    /// <summary>Creates an exception.</summary>
    public NornStoreUnavailableException()
        : base("The norn store is unavailable.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What failed, without secrets.</param>
    public NornStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">What failed, without secrets.</param>
    /// <param name="innerException">The last failure.</param>
    public NornStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception with a hint of when to try again.</summary>
    /// <param name="message">What failed, without secrets.</param>
    /// <param name="retryAfter">When a retry may succeed (the store's own <c>Retry-After</c>, or a guess); or none.</param>
    /// <param name="innerException">The last failure, if any.</param>
    public NornStoreUnavailableException(string message, TimeSpan? retryAfter, Exception? innerException)
        : base(message, innerException)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>How long a caller should wait before trying again, when the store said or the client can tell.</summary>
    public TimeSpan? RetryAfter { get; }
}
