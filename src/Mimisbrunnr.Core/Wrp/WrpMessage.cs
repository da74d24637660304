namespace Mimisbrunnr.Wrp;

/// <summary>
/// A WRP message with every field of wrp-go v5's <c>wrp.Message</c>.
/// </summary>
/// <remarks>
/// <para>
/// The model keeps the distinctions wrp-go keeps: an absent (<see langword="null"/>) versus an empty
/// <see cref="Headers"/>, <see cref="Metadata"/>, <see cref="PartnerIds"/> and <see cref="Payload"/>, and an absent
/// versus a zero <see cref="Status"/> and <see cref="RequestDeliveryResponse"/>. String fields are never null; an
/// empty string means "not set", as in Go.
/// </para>
/// <para>
/// A string that arrived on the wire as invalid UTF-8 is kept losslessly: each byte that is not part of a valid
/// UTF-8 sequence is stored as the lone surrogate <c>U+DC80 + (byte - 0x80)</c> (the "surrogate escape" scheme).
/// <see cref="WrpValidator"/> rejects such strings, <see cref="WrpMsgPack"/> writes the original bytes back, and
/// <see cref="WrpJson"/> writes <c>\ufffd</c> as Go does.
/// </para>
/// <para>
/// Instances are immutable once built, so one decoded message can be shared by many norns. A message decoded by
/// <see cref="WrpMsgPack"/> keeps its own copy of the msgpack bytes and creates the strings, lists, map and payload
/// array of a field from them on first access (each once; concurrent first reads are safe and all see the same
/// instance). Decoding has already checked the structure of every field, so a first access cannot fail.
/// </para>
/// </remarks>
public sealed partial class WrpMessage : IEquatable<WrpMessage>
{
    private string? _source = string.Empty;
    private string? _destination = string.Empty;
    private string? _transactionUuid = string.Empty;
    private string? _contentType = string.Empty;
    private string? _accept = string.Empty;
    private string? _path = string.Empty;
    private string? _serviceName = string.Empty;
    private string? _url = string.Empty;
    private string? _sessionId = string.Empty;
    private IReadOnlyList<string>? _headers;
    private IReadOnlyDictionary<string, string>? _metadata;
    private IReadOnlyList<string>? _partnerIds;
    private byte[]? _payload;

    // Status and rdr as values plus presence bits: two long? fields would take 16 bytes more per message.
    private const byte HasStatus = 1;
    private const byte HasRdr = 2;
    private long _status;
    private long _rdr;
    private byte _present;

    /// <summary>The message type (<c>msg_type</c>).</summary>
    public MessageType Type { get; init; }

    /// <summary>The sender's locator (<c>source</c>), for example <c>mac:112233445566/parodus</c>.</summary>
    public string Source
    {
        get => Volatile.Read(ref _source) ?? WireString(ref _source, _wireAt.Source);
        init => _source = value;
    }

    /// <summary>The destination locator (<c>dest</c>), for example <c>event:device-status/mac:112233445566/online</c>.</summary>
    public string Destination
    {
        get => Volatile.Read(ref _destination) ?? WireString(ref _destination, _wireAt.Destination);
        init => _destination = value;
    }

    /// <summary>The transaction id (<c>transaction_uuid</c>).</summary>
    public string TransactionUuid
    {
        get => Volatile.Read(ref _transactionUuid) ?? WireString(ref _transactionUuid, _wireAt.TransactionUuid);
        init => _transactionUuid = value;
    }

    /// <summary>The content type of <see cref="Payload"/> (<c>content_type</c>).</summary>
    public string ContentType
    {
        get => Volatile.Read(ref _contentType) ?? WireString(ref _contentType, _wireAt.ContentType);
        init => _contentType = value;
    }

    /// <summary>The content type the sender accepts in a reply (<c>accept</c>).</summary>
    public string Accept
    {
        get => Volatile.Read(ref _accept) ?? WireString(ref _accept, _wireAt.Accept);
        init => _accept = value;
    }

    /// <summary>The status code (<c>status</c>); <see langword="null"/> when absent.</summary>
    public long? Status
    {
        get => (_present & HasStatus) != 0 ? _status : null;
        init
        {
            _status = value.GetValueOrDefault();
            _present = value.HasValue ? (byte)(_present | HasStatus) : (byte)(_present & ~HasStatus);
        }
    }

    /// <summary>The request-delivery-response code (<c>rdr</c>); <see langword="null"/> when absent.</summary>
    public long? RequestDeliveryResponse
    {
        get => (_present & HasRdr) != 0 ? _rdr : null;
        init
        {
            _rdr = value.GetValueOrDefault();
            _present = value.HasValue ? (byte)(_present | HasRdr) : (byte)(_present & ~HasRdr);
        }
    }

    /// <summary>Headers (<c>headers</c>); <see langword="null"/> when absent, empty when present but empty.</summary>
    public IReadOnlyList<string>? Headers
    {
        get => Volatile.Read(ref _headers) ?? WireStringList(ref _headers, _wireAt.Headers);
        init => _headers = value;
    }

    /// <summary>Metadata (<c>metadata</c>); <see langword="null"/> when absent, empty when present but empty.</summary>
    public IReadOnlyDictionary<string, string>? Metadata
    {
        get => Volatile.Read(ref _metadata) ?? WireMetadata();
        init => _metadata = value;
    }

    /// <summary>The CRUD path (<c>path</c>).</summary>
    public string Path
    {
        get => Volatile.Read(ref _path) ?? WireString(ref _path, _wireAt.Path);
        init => _path = value;
    }

    /// <summary>The payload bytes (<c>payload</c>); <see langword="null"/> when absent, empty when present but empty.</summary>
#pragma warning disable CA1819 // A byte array is the natural, allocation-free shape for the payload; treat it as read-only.
    public byte[]? Payload
#pragma warning restore CA1819
    {
        get => Volatile.Read(ref _payload) ?? WirePayload();
        init => _payload = value;
    }

    /// <summary>The service name of a registration (<c>service_name</c>).</summary>
    public string ServiceName
    {
        get => Volatile.Read(ref _serviceName) ?? WireString(ref _serviceName, _wireAt.ServiceName);
        init => _serviceName = value;
    }

    /// <summary>The URL of a service registration (<c>url</c>).</summary>
#pragma warning disable CA1056 // The wire field is a free-form string; wrp-go does not parse it.
    public string Url
#pragma warning restore CA1056
    {
        get => Volatile.Read(ref _url) ?? WireString(ref _url, _wireAt.Url);
        init => _url = value;
    }

    /// <summary>Partner ids (<c>partner_ids</c>); <see langword="null"/> when absent, empty when present but empty.</summary>
    public IReadOnlyList<string>? PartnerIds
    {
        get => Volatile.Read(ref _partnerIds) ?? WireStringList(ref _partnerIds, _wireAt.PartnerIds);
        init => _partnerIds = value;
    }

    /// <summary>The session id (<c>session_id</c>).</summary>
    public string SessionId
    {
        get => Volatile.Read(ref _sessionId) ?? WireString(ref _sessionId, _wireAt.SessionId);
        init => _sessionId = value;
    }

    /// <summary>The quality-of-service value (<c>qos</c>), 0..99 when valid.</summary>
    public long QualityOfService { get; init; }

    /// <inheritdoc />
    public bool Equals(WrpMessage? other)
    {
        if (other is null)
        {
            return false;
        }

        if (ReferenceEquals(this, other))
        {
            return true;
        }

        return Type == other.Type
            && string.Equals(Source, other.Source, StringComparison.Ordinal)
            && string.Equals(Destination, other.Destination, StringComparison.Ordinal)
            && string.Equals(TransactionUuid, other.TransactionUuid, StringComparison.Ordinal)
            && string.Equals(ContentType, other.ContentType, StringComparison.Ordinal)
            && string.Equals(Accept, other.Accept, StringComparison.Ordinal)
            && Status == other.Status
            && RequestDeliveryResponse == other.RequestDeliveryResponse
            && ListEquals(Headers, other.Headers)
            && MapEquals(Metadata, other.Metadata)
            && string.Equals(Path, other.Path, StringComparison.Ordinal)
            && BytesEquals(Payload, other.Payload)
            && string.Equals(ServiceName, other.ServiceName, StringComparison.Ordinal)
            && string.Equals(Url, other.Url, StringComparison.Ordinal)
            && ListEquals(PartnerIds, other.PartnerIds)
            && string.Equals(SessionId, other.SessionId, StringComparison.Ordinal)
            && QualityOfService == other.QualityOfService;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as WrpMessage);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.Add(Type);
        hash.Add(Source, StringComparer.Ordinal);
        hash.Add(Destination, StringComparer.Ordinal);
        hash.Add(TransactionUuid, StringComparer.Ordinal);
        hash.Add(Status);
        hash.Add(QualityOfService);
        hash.Add(Payload?.Length ?? -1);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"WrpMessage {{ Type = {Type}, Source = {Source}, Destination = {Destination}, TransactionUuid = {TransactionUuid} }}";

    private static bool ListEquals(IReadOnlyList<string>? a, IReadOnlyList<string>? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!string.Equals(a[i], b[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool MapEquals(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (var (key, value) in a)
        {
            if (!b.TryGetValue(key, out var other) || !string.Equals(value, other, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool BytesEquals(byte[]? a, byte[]? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        return a.AsSpan().SequenceEqual(b);
    }
}
