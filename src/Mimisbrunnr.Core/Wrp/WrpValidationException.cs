namespace Mimisbrunnr.Wrp;

/// <summary>
/// Thrown by <see cref="WrpValidator"/> when a decoded message breaks one of wrp-go's standard validation rules.
/// </summary>
public sealed class WrpValidationException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public WrpValidationException()
        : base("The WRP message is invalid.")
    {
        Field = string.Empty;
        Rule = string.Empty;
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What was wrong.</param>
    public WrpValidationException(string message)
        : base(message)
    {
        Field = string.Empty;
        Rule = string.Empty;
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The underlying error.</param>
    public WrpValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
        Rule = string.Empty;
    }

    /// <summary>Creates an exception naming the field (its wire name) and the rule it breaks.</summary>
    /// <param name="field">The wire name of the field, for example <c>source</c> or <c>qos</c>.</param>
    /// <param name="rule">A short rule identifier, for example <c>required</c>, <c>unwanted</c>, <c>utf8</c>.</param>
    /// <param name="message">A sentence a person can read.</param>
    public WrpValidationException(string field, string rule, string message)
        : base(message)
    {
        Field = field;
        Rule = rule;
    }

    /// <summary>The wire name of the offending field (for example <c>source</c>), or empty for the whole message.</summary>
    public string Field { get; }

    /// <summary>The rule that failed (for example <c>required</c>, <c>unwanted</c>, <c>utf8</c>, <c>locator</c>).</summary>
    public string Rule { get; }
}
