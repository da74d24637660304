namespace Mimisbrunnr.Client.Verification;

/// <summary>
/// A delivery (or cut-off notice) failed verification. Catch this to reject any bad request; catch the subclasses to
/// tell a forged or altered request (<see cref="DeliverySignatureException"/>), a replayed or delayed one
/// (<see cref="DeliveryTimestampException"/>) and a body that cannot be read (<see cref="DeliveryBodyException"/>)
/// apart.
/// </summary>
public class DeliveryVerificationException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public DeliveryVerificationException()
        : this("The delivery failed verification.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public DeliveryVerificationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public DeliveryVerificationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The signature is missing, malformed, or does not match the body under the secret (answer 401).</summary>
public sealed class DeliverySignatureException : DeliveryVerificationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public DeliverySignatureException()
        : base("The delivery's signature does not match.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public DeliverySignatureException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public DeliverySignatureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The <c>webhook-timestamp</c> is unreadable or further from now than the tolerance: a replay, a badly delayed
/// delivery, or a clock out of step (answer 401).
/// </summary>
public sealed class DeliveryTimestampException : DeliveryVerificationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public DeliveryTimestampException()
        : base("The delivery's timestamp is outside the tolerance.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public DeliveryTimestampException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public DeliveryTimestampException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a readable timestamp.</summary>
    /// <param name="message">The message.</param>
    /// <param name="timestamp">The delivery's timestamp.</param>
    public DeliveryTimestampException(string message, DateTimeOffset timestamp)
        : base(message)
    {
        Timestamp = timestamp;
    }

    /// <summary>The delivery's timestamp, when it could be read.</summary>
    public DateTimeOffset? Timestamp { get; }
}

/// <summary>The body is authentic but cannot be decoded as asked (not WRP, or not the notice's JSON) (answer 400).</summary>
public sealed class DeliveryBodyException : DeliveryVerificationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public DeliveryBodyException()
        : base("The delivery's body cannot be decoded.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public DeliveryBodyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public DeliveryBodyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
