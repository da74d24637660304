namespace Mimisbrunnr.Wrp;

/// <summary>
/// Thrown when bytes cannot be decoded as a WRP message (msgpack or JSON). The message says what was wrong and, where
/// known, at which byte offset.
/// </summary>
public sealed class WrpFormatException : FormatException
{
    /// <summary>Creates an exception with a message.</summary>
    public WrpFormatException()
        : base("The input is not a valid WRP message.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What was wrong.</param>
    public WrpFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The underlying error.</param>
    public WrpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for an error at a known byte offset.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="offset">The byte offset of the offending value in the input.</param>
    public WrpFormatException(string message, long offset)
        : base($"{message} (at byte offset {offset})")
    {
        Offset = offset;
    }

    /// <summary>The byte offset in the input where the error was found, when known.</summary>
    public long? Offset { get; }
}
