namespace Mimisbrunnr.Norns;

/// <summary>
/// The body of <c>POST /norns</c> and <c>PUT /norns/{id}</c>. Every member is optional here so that validation,
/// not deserialization, reports a missing field by name. Shared by the server and the client SDK.
/// </summary>
public sealed record NornRequest
{
    /// <summary>The device id or locator, for example <c>mac:112233445566</c>; stored in canonical form.</summary>
    public string? DeviceId { get; init; }

    /// <summary>Time to live in seconds, 1..MaxTtl.</summary>
    public long? Ttl { get; init; }

    /// <summary>The destination: exactly one of <c>http</c> or <c>sqs</c>.</summary>
    public DestinationRequest? Destination { get; init; }

    /// <summary>An optional filter.</summary>
    public NornFilter? Filter { get; init; }
}

/// <summary>The destination part of a <see cref="NornRequest"/>.</summary>
public sealed record DestinationRequest
{
    /// <summary>An HTTP webhook.</summary>
    public HttpDestinationRequest? Http { get; init; }

    /// <summary>An Amazon SQS queue.</summary>
    public SqsDestinationRequest? Sqs { get; init; }
}

/// <summary>An HTTP destination as a consumer sends it.</summary>
public sealed record HttpDestinationRequest
{
    /// <summary>The webhook URL (http or https, no user info).</summary>
#pragma warning disable CA1056 // Validated as text so that the error can name the rule it breaks.
    public string? Url { get; init; }

    /// <summary>The HMAC secret for the signatures (at most 256 characters); write-only.</summary>
    public string? Secret { get; init; }

    /// <summary>Where the cut-off notice goes; optional.</summary>
    public string? FailureUrl { get; init; }
#pragma warning restore CA1056

    /// <summary><c>application/json</c> (default), <c>application/msgpack</c> or <c>payload</c>.</summary>
    public string? ContentType { get; init; }

    // Secrets never reach logs or exception messages through ToString().
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Url = ").Append(Url)
            .Append(", Secret = ").Append(SecretText.Mask(Secret))
            .Append(", FailureUrl = ").Append(FailureUrl)
            .Append(", ContentType = ").Append(ContentType);
        return true;
    }
}

/// <summary>An SQS destination as a consumer sends it.</summary>
public sealed record SqsDestinationRequest
{
    /// <summary>The queue URL.</summary>
#pragma warning disable CA1056 // Validated as text so that the error can name the rule it breaks.
    public string? QueueUrl { get; init; }
#pragma warning restore CA1056

    /// <summary>The AWS region; derived from the queue URL when omitted.</summary>
    public string? Region { get; init; }

    /// <summary>SQS <c>DelaySeconds</c>, 0..900.</summary>
    public int? DelaySeconds { get; init; }

    /// <summary>The access key id; write-only.</summary>
    public string? AccessKeyId { get; init; }

    /// <summary>The secret access key; write-only.</summary>
    public string? SecretAccessKey { get; init; }

    /// <summary>An optional session token; write-only.</summary>
    public string? SessionToken { get; init; }

    /// <summary>Where cut-off and final-error notices go; optional.</summary>
#pragma warning disable CA1056 // Validated as text so that the error can name the rule it breaks.
    public string? FailureUrl { get; init; }
#pragma warning restore CA1056

    /// <summary>The HMAC secret that signs those notices (at most 256 characters); write-only.</summary>
    public string? Secret { get; init; }

    // Secrets never reach logs or exception messages through ToString().
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("QueueUrl = ").Append(QueueUrl)
            .Append(", Region = ").Append(Region)
            .Append(", DelaySeconds = ").Append(DelaySeconds)
            .Append(", AccessKeyId = ").Append(AccessKeyId)
            .Append(", SecretAccessKey = ").Append(SecretText.Mask(SecretAccessKey))
            .Append(", SessionToken = ").Append(SecretText.Mask(SessionToken))
            .Append(", FailureUrl = ").Append(FailureUrl)
            .Append(", Secret = ").Append(SecretText.Mask(Secret));
        return true;
    }
}
