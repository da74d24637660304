namespace Mimisbrunnr.Wrp;

/// <summary>The fields of a WRP message, as the msgpack and JSON decoders identify their keys.</summary>
internal enum WrpField
{
    /// <summary>A key wrp-go does not know; its value is skipped.</summary>
    Unknown,

    /// <summary><c>msg_type</c>.</summary>
    MsgType,

    /// <summary><c>source</c>.</summary>
    Source,

    /// <summary><c>dest</c>.</summary>
    Dest,

    /// <summary><c>transaction_uuid</c>.</summary>
    TransactionUuid,

    /// <summary><c>content_type</c>.</summary>
    ContentType,

    /// <summary><c>accept</c>.</summary>
    Accept,

    /// <summary><c>status</c>.</summary>
    Status,

    /// <summary><c>rdr</c>.</summary>
    Rdr,

    /// <summary><c>headers</c>.</summary>
    Headers,

    /// <summary><c>metadata</c>.</summary>
    Metadata,

    /// <summary><c>path</c>.</summary>
    Path,

    /// <summary><c>payload</c>.</summary>
    Payload,

    /// <summary><c>service_name</c>.</summary>
    ServiceName,

    /// <summary><c>url</c>.</summary>
    Url,

    /// <summary><c>partner_ids</c>.</summary>
    PartnerIds,

    /// <summary><c>session_id</c>.</summary>
    SessionId,

    /// <summary><c>qos</c>.</summary>
    Qos,
}
