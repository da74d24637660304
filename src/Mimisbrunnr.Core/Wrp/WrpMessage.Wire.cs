using MessagePack;

namespace Mimisbrunnr.Wrp;

/// <content>
/// The decoded form: a message that <see cref="WrpMsgPack"/> decoded keeps its own copy of the msgpack bytes (the
/// "wire") and, per field, where the value starts in it. The strings, lists and payload array are created from the
/// wire on first access, and the metadata is a dictionary over the wire (<see cref="WrpWireMetadata"/>) that creates
/// a key or value string when it is asked for; so routing an event on its source, dest and a metadata filter creates
/// nothing else.
/// </content>
/// <remarks>
/// <para>
/// Decoding checked the structure of every value (types, counts, lengths), so creating a field later cannot fail:
/// the value is at a known offset and has a known shape. Invalid UTF-8 is surrogate-escaped on creation exactly as an
/// eager decode does, and <see cref="WrpValidator"/> checks the raw bytes of fields that were not created yet, so
/// errors are found at the same time (decode or validate) as before.
/// </para>
/// <para>
/// Thread safety: a decoded message is shared by every norn's workers. Each lazy field is created without a lock and
/// published with <see cref="Interlocked.CompareExchange{T}(ref T, T, T)"/>; threads that race on a first access may
/// each build a value, but all of them return the one that was published first. Values built from the same bytes
/// are equal, so the race is harmless, and later reads see the published instance.
/// </para>
/// </remarks>
public sealed partial class WrpMessage
{
    /// <summary>The message's msgpack bytes (exactly the message, no trailing bytes); null unless decoded from msgpack.</summary>
    private readonly byte[]? _wire;

    /// <summary>Where each lazily created field's value is in <see cref="_wire"/> (0: not on the wire).</summary>
    private readonly WrpWireOffsets _wireAt;

    /// <summary>
    /// Whether <see cref="WrpMsgPack.Encode(WrpMessage)"/> of this message gives exactly <see cref="_wire"/>: 1 yes, -1
    /// no, 0 yes unless the metadata repeats a key (the decoder does not look; the first encode does, and racing
    /// threads find the same answer).
    /// </summary>
    private int _wireCanonical;

    /// <summary>Creates an empty message (msg_type 0, every field empty or absent); set the fields with an initializer.</summary>
    public WrpMessage()
    {
    }

    /// <summary>A message decoded from msgpack, over its own copy of the bytes.</summary>
    /// <param name="wire">The bytes of the message; the message owns them and never changes them.</param>
    /// <param name="at">Where the lazily created fields start in <paramref name="wire"/>.</param>
    /// <param name="canonical">
    /// -1 when the bytes are not what the encoder writes for the message; 0 when they are, unless the metadata repeats
    /// a key.
    /// </param>
    internal WrpMessage(byte[] wire, in WrpWireOffsets at, int canonical)
    {
        _wire = wire;
        _wireAt = at;
        _wireCanonical = canonical;

        // Fields that are on the wire start out null: "not created yet". The others keep their initial values.
        if (at.Source != 0)
        {
            _source = null;
        }

        if (at.Destination != 0)
        {
            _destination = null;
        }

        if (at.TransactionUuid != 0)
        {
            _transactionUuid = null;
        }

        if (at.ContentType != 0)
        {
            _contentType = null;
        }

        if (at.Accept != 0)
        {
            _accept = null;
        }

        if (at.Path != 0)
        {
            _path = null;
        }

        if (at.ServiceName != 0)
        {
            _serviceName = null;
        }

        if (at.Url != 0)
        {
            _url = null;
        }

        if (at.SessionId != 0)
        {
            _sessionId = null;
        }
    }

    /// <summary>Whether the message was decoded from msgpack: then every field that is set is on the wire (<see cref="WireAt"/>).</summary>
    internal bool HasWire => _wire is not null;

    /// <summary>The length of the msgpack bytes the message was decoded from (0 when it was not).</summary>
    internal int WireLength => _wire?.Length ?? 0;

    /// <summary>The offsets of the fields on the wire (all 0 for a message that was not decoded from msgpack).</summary>
    internal ref readonly WrpWireOffsets WireAt => ref _wireAt;

    /// <summary>The message's own msgpack bytes when encoding it would give exactly them; otherwise null.</summary>
    /// <remarks>Never to be modified: the message's lazy fields are created from them.</remarks>
    internal byte[]? CanonicalWire
    {
        get
        {
            var canonical = Volatile.Read(ref _wireCanonical);
            if (canonical == 0 && _wire is not null)
            {
                canonical = _wireAt.Metadata == 0 || !WrpMsgPackCanonical.RepeatsAKey(_wire.AsMemory(_wireAt.Metadata)) ? 1 : -1;
                Volatile.Write(ref _wireCanonical, canonical);
            }

            return canonical > 0 ? _wire : null;
        }
    }

    /// <summary>The content bytes of a str field on the wire (a non-zero str offset from <see cref="WireAt"/>).</summary>
    internal ReadOnlySpan<byte> WireString(int at)
    {
        if (_wireAt.Packed)
        {
            return _wire.AsSpan(at >>> 16, at & 0xFFFF);
        }

        var reader = WireReader(at);
        reader.TryReadStringSpan(out var utf8);
        return utf8;
    }

    /// <summary>The content bytes of the payload on the wire (a non-zero <see cref="WrpWireOffsets.Payload"/>).</summary>
    internal ReadOnlySpan<byte> WireBytes(int at)
    {
        if (_wireAt.Packed)
        {
            return _wire.AsSpan(at >>> 16, at & 0xFFFF);
        }

        var reader = WireReader(at);
        return reader.ReadBytes().GetValueOrDefault().FirstSpan; // one segment: the wire is one array
    }

    /// <summary>A reader positioned at the array or map at <paramref name="at"/> (a non-zero offset from <see cref="WireAt"/>).</summary>
    internal MessagePackReader WireReader(int at) => new(_wire.AsMemory(at));

    private static T Publish<T>(ref T? field, T value)
        where T : class =>
        Interlocked.CompareExchange(ref field, value, null) ?? value;

    private string WireString(ref string? field, int at)
    {
        if (at == 0)
        {
            // Not on the wire, so the value is what was set: null only if a caller set null.
            return field!;
        }

        return Publish(ref field, WrpMsgPackUtf8.Decode(WireString(at)));
    }

    private IReadOnlyList<string>? WireStringList(ref IReadOnlyList<string>? field, int at)
    {
        if (at == 0)
        {
            return null;
        }

        var reader = WireReader(at);
        var count = reader.ReadArrayHeader();
        var values = count == 0 ? [] : new string[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = ReadString(ref reader);
        }

        return Publish(ref field, values);
    }

    private IReadOnlyDictionary<string, string>? WireMetadata()
    {
        var at = _wireAt.Metadata;
        return at == 0 ? null : Publish(ref _metadata, WrpWireMetadata.Create(_wire!, at));
    }

    private byte[]? WirePayload()
    {
        var at = _wireAt.Payload;
        return at == 0 ? null : Publish(ref _payload, WireBytes(at).ToArray());
    }

    private static string ReadString(ref MessagePackReader reader)
    {
        reader.TryReadStringSpan(out var utf8);
        return WrpMsgPackUtf8.Decode(utf8);
    }
}

/// <summary>
/// Where the values of the lazily created fields of a decoded <see cref="WrpMessage"/> are in its msgpack bytes, or 0
/// when the field is not on the wire. A str field and the payload: in a message of up to 64 KiB the content as
/// <c>offset &lt;&lt; 16 | length</c>, read without a reader; in a larger one the offset of the value's msgpack
/// header. Headers, partner ids and metadata: the offset of the array or map header. Offset 0 is the top-level map
/// header, so 0 is never a value. A string field is on the wire only when it is non-empty; headers, partner ids and
/// payload when they decode to a non-null value (an empty one only after an earlier non-empty value of the same key,
/// as in Go); metadata whenever the key was present.
/// </summary>
internal struct WrpWireOffsets
{
    /// <summary>In <see cref="Ascii"/>: the headers on the wire are non-empty and all ASCII.</summary>
    public const byte AsciiHeaders = 1;

    /// <summary>In <see cref="Ascii"/>: the metadata on the wire is non-empty and all its keys and values ASCII.</summary>
    public const byte AsciiMetadata = 2;

    /// <summary>In <see cref="Ascii"/>: the partner ids on the wire are non-empty and all ASCII.</summary>
    public const byte AsciiPartnerIds = 4;

    public int Source;
    public int Destination;
    public int TransactionUuid;
    public int ContentType;
    public int Accept;
    public int Headers;
    public int Metadata;
    public int Path;
    public int Payload;
    public int ServiceName;
    public int Url;
    public int PartnerIds;
    public int SessionId;

    /// <summary>
    /// Which collections on the wire the decoder found to be non-empty and all ASCII, so valid UTF-8 (flags above);
    /// the validator reads the others.
    /// </summary>
    public byte Ascii;

    /// <summary>
    /// Whether the str and bin offsets are packed slices, <c>offset &lt;&lt; 16 | length</c> of the content (messages up
    /// to 64 KiB), or else the offsets of the values' msgpack headers, read again when needed.
    /// </summary>
    public bool Packed;
}
