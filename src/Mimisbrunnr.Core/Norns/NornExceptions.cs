namespace Mimisbrunnr.Norns;

/// <summary>A norn request breaks a rule; <see cref="Field"/> and <see cref="Rule"/> say which.</summary>
public sealed class NornValidationException : Exception
{
    /// <summary>Creates an exception.</summary>
    public NornValidationException()
        : this(string.Empty, string.Empty, "The norn request is invalid.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What was wrong.</param>
    public NornValidationException(string message)
        : this(string.Empty, string.Empty, message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NornValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
        Rule = string.Empty;
    }

    /// <summary>Creates an exception naming the field and rule.</summary>
    /// <param name="field">The JSON path of the field, for example <c>ttl</c> or <c>destination.http.url</c>.</param>
    /// <param name="rule">A short rule id, for example <c>required</c>, <c>range</c>, <c>scheme</c>.</param>
    /// <param name="message">A sentence for a person, for example "ttl 90000 exceeds the maximum of 86400 seconds".</param>
    public NornValidationException(string field, string rule, string message)
        : base(message)
    {
        Field = field;
        Rule = rule;
    }

    /// <summary>The JSON path of the offending field (camelCase), or empty.</summary>
    public string Field { get; }

    /// <summary>The rule that failed, or empty.</summary>
    public string Rule { get; }
}

/// <summary>The device and destination pair is registered by another owner.</summary>
public sealed class NornConflictException : Exception
{
    /// <summary>Creates an exception.</summary>
    public NornConflictException()
        : base("This device and destination pair is registered by another owner.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What was wrong.</param>
    public NornConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NornConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A quota (norns per owner or per device) would be exceeded.</summary>
public sealed class NornQuotaExceededException : Exception
{
    /// <summary>Creates an exception.</summary>
    public NornQuotaExceededException()
        : base("A norn quota would be exceeded.")
    {
        Quota = string.Empty;
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What was wrong.</param>
    public NornQuotaExceededException(string message)
        : base(message)
    {
        Quota = string.Empty;
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NornQuotaExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
        Quota = string.Empty;
    }

    /// <summary>Creates an exception naming the quota.</summary>
    /// <param name="quota"><c>perOwner</c> or <c>perDevice</c>.</param>
    /// <param name="message">A sentence for a person.</param>
    public NornQuotaExceededException(string quota, string message)
        : base(message)
    {
        Quota = quota;
    }

    /// <summary>Which quota: <c>perOwner</c> or <c>perDevice</c>.</summary>
    public string Quota { get; }
}
