namespace Mimisbrunnr.Norns;

/// <summary>
/// A norn as the API returns it: secrets are never included. Shared by the server and the client SDK.
/// </summary>
public sealed record NornResponse
{
    /// <summary>The derived id.</summary>
    public required string Id { get; init; }

    /// <summary>The canonical device id.</summary>
    public required string DeviceId { get; init; }

    /// <summary>When the norn expires (UTC).</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The destination without secrets.</summary>
    public required DestinationResponse Destination { get; init; }

    /// <summary>The filter, if any.</summary>
    public NornFilter? Filter { get; init; }

    /// <summary>The partner ids the norn receives events of (<c>*</c>: all); absent when partner ids are not enforced.</summary>
    public IReadOnlyList<string>? PartnerIds { get; init; }

    /// <summary>When the norn was first registered (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the norn was last written (UTC).</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>How the norn's deliveries are going on the instance that answered; only in <c>GET /norns/{id}</c>.</summary>
    public NornDeliveryStatus? Delivery { get; init; }

    /// <summary>Builds the public view of a stored norn.</summary>
    /// <param name="norn">The stored norn.</param>
    /// <returns>The view, without secrets.</returns>
    public static NornResponse From(Norn norn)
    {
        ArgumentNullException.ThrowIfNull(norn);
        var http = norn.Destination.Http;
        var sqs = norn.Destination.Sqs;
        return new NornResponse
        {
            Id = norn.Id,
            DeviceId = norn.DeviceId,
            ExpiresAt = norn.ExpiresAt.ToUniversalTime(),
            Destination = new DestinationResponse
            {
                Http = http is null ? null : new HttpDestinationResponse
                {
                    Url = http.Url,
                    FailureUrl = http.FailureUrl,
                    ContentType = http.ContentType,
                    HasSecret = !string.IsNullOrEmpty(http.Secret),
                },
                Sqs = sqs is null ? null : new SqsDestinationResponse
                {
                    QueueUrl = sqs.QueueUrl,
                    Region = sqs.Region,
                    DelaySeconds = sqs.DelaySeconds,
                    HasCredentials = !string.IsNullOrEmpty(sqs.AccessKeyId),
                    FailureUrl = sqs.FailureUrl,
                    HasSecret = !string.IsNullOrEmpty(sqs.Secret),
                },
            },
            Filter = norn.Filter,
            PartnerIds = norn.PartnerIds is { Count: > 0 } partners ? partners : null,
            CreatedAt = norn.CreatedAt.ToUniversalTime(),
            UpdatedAt = norn.UpdatedAt.ToUniversalTime(),
        };
    }
}

/// <summary>The destination of a <see cref="NornResponse"/>.</summary>
public sealed record DestinationResponse
{
    /// <summary>The HTTP destination, if that is the kind.</summary>
    public HttpDestinationResponse? Http { get; init; }

    /// <summary>The SQS destination, if that is the kind.</summary>
    public SqsDestinationResponse? Sqs { get; init; }
}

/// <summary>An HTTP destination without its secret.</summary>
public sealed record HttpDestinationResponse
{
    /// <summary>The webhook URL.</summary>
#pragma warning disable CA1056 // The exact registered text.
    public required string Url { get; init; }

    /// <summary>The failure URL, if any.</summary>
    public string? FailureUrl { get; init; }
#pragma warning restore CA1056

    /// <summary>The delivery body format.</summary>
    public required string ContentType { get; init; }

    /// <summary>Whether deliveries are signed (a secret is set).</summary>
    public bool HasSecret { get; init; }
}

/// <summary>An SQS destination without its credentials.</summary>
public sealed record SqsDestinationResponse
{
    /// <summary>The queue URL.</summary>
#pragma warning disable CA1056 // The exact registered text.
    public required string QueueUrl { get; init; }
#pragma warning restore CA1056

    /// <summary>The region, if given.</summary>
    public string? Region { get; init; }

    /// <summary>The per-message delay in seconds.</summary>
    public int DelaySeconds { get; init; }

    /// <summary>Whether the norn carries its own credentials.</summary>
    public bool HasCredentials { get; init; }

    /// <summary>The failure URL, if any.</summary>
#pragma warning disable CA1056 // The exact registered text.
    public string? FailureUrl { get; init; }
#pragma warning restore CA1056

    /// <summary>Whether notices to the failure URL are signed (a secret is set).</summary>
    public bool HasSecret { get; init; }
}
