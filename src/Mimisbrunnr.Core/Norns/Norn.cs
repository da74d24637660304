namespace Mimisbrunnr.Norns;

/// <summary>
/// A registered norn: "deliver the events of device <see cref="DeviceId"/> to <see cref="Destination"/> until
/// <see cref="ExpiresAt"/>", owned by <see cref="Owner"/>. This is the stored form and holds secrets; the API shows
/// <see cref="NornResponse"/> instead.
/// </summary>
public sealed record Norn
{
    /// <summary>
    /// The derived id: lowercase hex SHA-256 of the device key and the destination key (see <see cref="NornIdentity"/>).
    /// </summary>
    public required string Id { get; init; }

    /// <summary>
    /// The canonical device id as first registered, for example <c>mac:112233445566</c> or <c>uuid:ABC</c>; spellings
    /// that differ only in case are the same device (<see cref="NornIdentity.DeviceKey"/>).
    /// </summary>
    public required string DeviceId { get; init; }

    /// <summary>The owner: the authenticated principal that registered the norn.</summary>
    public required string Owner { get; init; }

    /// <summary>Where events go (exactly one of HTTP or SQS).</summary>
    public required NornDestination Destination { get; init; }

    /// <summary>An optional filter; <see langword="null"/> delivers every event of the device.</summary>
    public NornFilter? Filter { get; init; }

    /// <summary>
    /// The partner ids (tenants) of the principal that registered the norn, as XMiDT enforces them: an event reaches the
    /// norn only when its <c>partner_ids</c> share one with these; <c>*</c> matches every partner. <see langword="null"/>
    /// or empty: partner ids were not enforced when the norn was written, and it receives every event of its device.
    /// </summary>
    public IReadOnlyList<string>? PartnerIds { get; init; }

    /// <summary>When the norn stops receiving events and is removed.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When the norn was first registered.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the norn was last written.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Whether the norn has expired at <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <returns><see langword="true"/> when <paramref name="now"/> is at or after <see cref="ExpiresAt"/>.</returns>
    public bool IsExpired(DateTimeOffset now) => now >= ExpiresAt;
}

/// <summary>The destination of a norn: exactly one of <see cref="Http"/> or <see cref="Sqs"/> is set.</summary>
public sealed record NornDestination
{
    /// <summary>An HTTP webhook destination.</summary>
    public HttpDestination? Http { get; init; }

    /// <summary>An Amazon SQS queue destination.</summary>
    public SqsDestination? Sqs { get; init; }

    /// <summary>The destination kind: <c>http</c> or <c>sqs</c>.</summary>
    public string Kind => Http is not null ? DestinationKinds.Http : DestinationKinds.Sqs;

    /// <summary>The destination key used in the norn id: the (normalised) HTTP URL or SQS queue URL.</summary>
    public string Key => Http?.Url ?? Sqs?.QueueUrl ?? string.Empty;
}

/// <summary>The destination kind names.</summary>
public static class DestinationKinds
{
    /// <summary>HTTP webhook.</summary>
    public const string Http = "http";

    /// <summary>Amazon SQS queue.</summary>
    public const string Sqs = "sqs";
}

/// <summary>An HTTP webhook destination (stored form, with its secret).</summary>
public sealed record HttpDestination
{
    /// <summary>The URL events are POSTed to.</summary>
#pragma warning disable CA1056 // Stored and compared as the exact text the consumer registered.
    public required string Url { get; init; }
#pragma warning restore CA1056

    /// <summary>The HMAC secret for the signatures; <see langword="null"/> sends unsigned deliveries.</summary>
    public string? Secret { get; init; }

    /// <summary>Where the cut-off notice is POSTed; optional.</summary>
#pragma warning disable CA1056
    public string? FailureUrl { get; init; }
#pragma warning restore CA1056

    /// <summary>
    /// The delivery body format: <c>application/json</c> (WRP JSON, default), <c>application/msgpack</c> (WRP msgpack),
    /// or <c>payload</c> (the WRP payload alone, with the WRP's own content type). See <see cref="DeliveryContentTypes"/>.
    /// </summary>
    public string ContentType { get; init; } = DeliveryContentTypes.Json;

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

/// <summary>The body formats an HTTP norn can ask for.</summary>
public static class DeliveryContentTypes
{
    /// <summary>WRP JSON exactly as wrp-go writes it (the default).</summary>
    public const string Json = "application/json";

    /// <summary>WRP msgpack, byte-compatible with wrp-go.</summary>
    public const string MsgPack = "application/msgpack";

    /// <summary>Only the WRP payload, sent with the WRP message's own content type.</summary>
    public const string Payload = "payload";
}

/// <summary>An Amazon SQS destination (stored form, with its credentials).</summary>
public sealed record SqsDestination
{
    /// <summary>The queue URL.</summary>
#pragma warning disable CA1056 // Stored and compared as the exact text the consumer registered.
    public required string QueueUrl { get; init; }
#pragma warning restore CA1056

    /// <summary>The AWS region; derived from the queue URL when omitted.</summary>
    public string? Region { get; init; }

    /// <summary>SQS <c>DelaySeconds</c> for each message, 0..900.</summary>
    public int DelaySeconds { get; init; }

    /// <summary>The access key id, when the norn brings its own credentials.</summary>
    public string? AccessKeyId { get; init; }

    /// <summary>The secret access key, when the norn brings its own credentials.</summary>
    public string? SecretAccessKey { get; init; }

    /// <summary>An optional session token for temporary credentials.</summary>
    public string? SessionToken { get; init; }

    /// <summary>
    /// Where the owner is told about a cut-off or a final delivery error (missing queue, access denied); optional.
    /// </summary>
#pragma warning disable CA1056 // Stored as the exact text the consumer registered.
    public string? FailureUrl { get; init; }
#pragma warning restore CA1056

    /// <summary>The HMAC secret that signs the notices sent to <see cref="FailureUrl"/>; optional.</summary>
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

/// <summary>A norn's filter: every condition must hold for an event to be delivered.</summary>
public sealed record NornFilter
{
    /// <summary>
    /// Regular expressions matched (unanchored, like RE2 in Caduceus) against the event type (<c>dest</c> without
    /// <c>event:</c>); an event matches when any one matches. <see langword="null"/> or empty matches every event.
    /// </summary>
    public IReadOnlyList<string>? Events { get; init; }

    /// <summary>Metadata pairs that must all be present with equal values.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
