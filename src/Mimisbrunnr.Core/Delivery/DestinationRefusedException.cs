namespace Mimisbrunnr.Delivery;

/// <summary>
/// Thrown by the delivery handler's connect step when the destination's host or a resolved address is refused by the
/// SSRF rules (<see cref="IDestinationGuard"/>). <see cref="System.Net.Http.HttpClient"/> surfaces it as the inner
/// exception of an <see cref="System.Net.Http.HttpRequestException"/> whose message starts with this one's; it is never
/// retried.
/// </summary>
internal sealed class DestinationRefusedException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public DestinationRefusedException()
        : this("The destination address is refused.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why the destination is refused.</param>
    public DestinationRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with an inner exception.</summary>
    /// <param name="message">Why the destination is refused.</param>
    /// <param name="innerException">The cause.</param>
    public DestinationRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from a refusal.</summary>
    /// <param name="refusal">The refusal; its message becomes this exception's.</param>
    public DestinationRefusedException(DestinationRefusal refusal)
        : base((refusal ?? throw new ArgumentNullException(nameof(refusal))).Message)
    {
        Refusal = refusal;
    }

    /// <summary>The rule and sentence, when created from a refusal.</summary>
    public DestinationRefusal? Refusal { get; }
}
