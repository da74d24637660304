namespace Mimisbrunnr.Wrp;

/// <summary>The 17 wrp-go keys: the names (for matching) and the fixstr-encoded forms (for writing).</summary>
internal static class WrpMsgPackKeys
{
    /// <summary>Matches a key's raw bytes (str or bin content) exactly, as wrp-go's generated switch does.</summary>
    public static WrpField Match(ReadOnlySpan<byte> name) => name.Length switch
    {
        3 => name.SequenceEqual("qos"u8) ? WrpField.Qos
            : name.SequenceEqual("rdr"u8) ? WrpField.Rdr
            : name.SequenceEqual("url"u8) ? WrpField.Url
            : WrpField.Unknown,
        4 => name.SequenceEqual("dest"u8) ? WrpField.Dest
            : name.SequenceEqual("path"u8) ? WrpField.Path
            : WrpField.Unknown,
        6 => name.SequenceEqual("source"u8) ? WrpField.Source
            : name.SequenceEqual("status"u8) ? WrpField.Status
            : name.SequenceEqual("accept"u8) ? WrpField.Accept
            : WrpField.Unknown,
        7 => name.SequenceEqual("payload"u8) ? WrpField.Payload
            : name.SequenceEqual("headers"u8) ? WrpField.Headers
            : WrpField.Unknown,
        8 => name.SequenceEqual("msg_type"u8) ? WrpField.MsgType
            : name.SequenceEqual("metadata"u8) ? WrpField.Metadata
            : WrpField.Unknown,
        10 => name.SequenceEqual("session_id"u8) ? WrpField.SessionId : WrpField.Unknown,
        11 => name.SequenceEqual("partner_ids"u8) ? WrpField.PartnerIds : WrpField.Unknown,
        12 => name.SequenceEqual("content_type"u8) ? WrpField.ContentType
            : name.SequenceEqual("service_name"u8) ? WrpField.ServiceName
            : WrpField.Unknown,
        16 => name.SequenceEqual("transaction_uuid"u8) ? WrpField.TransactionUuid : WrpField.Unknown,
        _ => WrpField.Unknown,
    };

    /// <summary>The wire name of a field, for error messages.</summary>
    public static string WireName(WrpField field) => field switch
    {
        WrpField.MsgType => "msg_type",
        WrpField.Source => "source",
        WrpField.Dest => "dest",
        WrpField.TransactionUuid => "transaction_uuid",
        WrpField.ContentType => "content_type",
        WrpField.Accept => "accept",
        WrpField.Status => "status",
        WrpField.Rdr => "rdr",
        WrpField.Headers => "headers",
        WrpField.Metadata => "metadata",
        WrpField.Path => "path",
        WrpField.Payload => "payload",
        WrpField.ServiceName => "service_name",
        WrpField.Url => "url",
        WrpField.PartnerIds => "partner_ids",
        WrpField.SessionId => "session_id",
        WrpField.Qos => "qos",
        _ => "(unknown key)",
    };

    /// <summary><c>msg_type</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> MsgType => [0xA8, 0x6D, 0x73, 0x67, 0x5F, 0x74, 0x79, 0x70, 0x65];

    /// <summary><c>source</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> Source => [0xA6, 0x73, 0x6F, 0x75, 0x72, 0x63, 0x65];

    /// <summary><c>dest</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> Dest => [0xA4, 0x64, 0x65, 0x73, 0x74];

    /// <summary><c>transaction_uuid</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> TransactionUuid =>
        [0xB0, 0x74, 0x72, 0x61, 0x6E, 0x73, 0x61, 0x63, 0x74, 0x69, 0x6F, 0x6E, 0x5F, 0x75, 0x75, 0x69, 0x64];

    /// <summary><c>content_type</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> ContentType => [0xAC, 0x63, 0x6F, 0x6E, 0x74, 0x65, 0x6E, 0x74, 0x5F, 0x74, 0x79, 0x70, 0x65];

    /// <summary><c>accept</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> Accept => [0xA6, 0x61, 0x63, 0x63, 0x65, 0x70, 0x74];

    /// <summary><c>status</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> Status => [0xA6, 0x73, 0x74, 0x61, 0x74, 0x75, 0x73];

    /// <summary><c>rdr</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> Rdr => [0xA3, 0x72, 0x64, 0x72];

    /// <summary><c>headers</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> Headers => [0xA7, 0x68, 0x65, 0x61, 0x64, 0x65, 0x72, 0x73];

    /// <summary><c>metadata</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> Metadata => [0xA8, 0x6D, 0x65, 0x74, 0x61, 0x64, 0x61, 0x74, 0x61];

    /// <summary><c>path</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> Path => [0xA4, 0x70, 0x61, 0x74, 0x68];

    /// <summary><c>payload</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> Payload => [0xA7, 0x70, 0x61, 0x79, 0x6C, 0x6F, 0x61, 0x64];

    /// <summary><c>service_name</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> ServiceName => [0xAC, 0x73, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x5F, 0x6E, 0x61, 0x6D, 0x65];

    /// <summary><c>url</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> Url => [0xA3, 0x75, 0x72, 0x6C];

    /// <summary><c>partner_ids</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> PartnerIds => [0xAB, 0x70, 0x61, 0x72, 0x74, 0x6E, 0x65, 0x72, 0x5F, 0x69, 0x64, 0x73];

    /// <summary><c>session_id</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> SessionId => [0xAA, 0x73, 0x65, 0x73, 0x73, 0x69, 0x6F, 0x6E, 0x5F, 0x69, 0x64];

    /// <summary><c>qos</c> as a fixstr.</summary>
    public static ReadOnlySpan<byte> Qos => [0xA3, 0x71, 0x6F, 0x73];
}
