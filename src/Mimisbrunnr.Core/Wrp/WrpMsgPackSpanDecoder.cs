using System.Buffers.Binary;
using MessagePack;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// The decoder's fast path for a message in contiguous memory: the walk of <see cref="WrpMsgPackDecoder"/>'s
/// <c>ReadMessage</c> with the same findings (where each field is, its msg_type, status, rdr and qos, which lists are
/// ASCII, whether the bytes are the encoder's form), read straight from the span instead of through
/// <see cref="MessagePackReader"/>, whose per-call cost dominated decoding.
/// </summary>
/// <remarks>
/// It handles what WRP messages hold: str keys naming wrp-go's 17 fields and values of the types those fields take.
/// On anything else (an unknown or bin key, a value of the wrong type, a count or length beyond the input, an integer
/// out of range, an empty input) it gives up without a result, and the caller decodes the same bytes with
/// <see cref="WrpMsgPackDecoder"/>, which skips unknown values or throws its usual <see cref="WrpFormatException"/>;
/// so what is accepted and rejected, and every error, stay those of that decoder.
/// </remarks>
internal ref struct WrpMsgPackSpanDecoder
{
    private readonly ReadOnlySpan<byte> _input;
    private int _at;
    private WrpWireOffsets _offsets;
    private bool _irregular;
    private MessageType _type;
    private long _status;
    private long _rdr;
    private long _qos;
    private bool _hasStatus;
    private bool _hasRdr;

    /// <param name="input">The bytes; the message starts at the first one, and what follows it is left unread.</param>
    /// <param name="packed">
    /// Whether the offsets are packed slices (<see cref="WrpWireOffsets.Packed"/>: the buffer the message keeps, or the
    /// array it is in, is at most 64 KiB), as <see cref="WrpMsgPackDecoder"/> decides it.
    /// </param>
    public WrpMsgPackSpanDecoder(ReadOnlySpan<byte> input, bool packed)
    {
        _input = input;
        _offsets.Packed = packed;
    }

    /// <summary>Reads the message; false when the input needs <see cref="WrpMsgPackDecoder"/> (see the remarks).</summary>
    /// <param name="consumed">The number of bytes the message occupies.</param>
    public bool TryRead(out int consumed)
    {
        consumed = 0;
        if (_input.IsEmpty)
        {
            return false;
        }

        var code = _input[0];
        if (!TryReadMapHeader(out var count))
        {
            return false;
        }

        _irregular = !WrpMsgPackCanonical.IsShortestMapHeader(code, count);
        var previous = WrpField.Unknown;
        var hasType = false;
        for (var i = 0; i < count; i++)
        {
            var field = ReadKey();
            if (field == WrpField.Unknown)
            {
                return false; // unknown and bin keys (and a broken key): the general decoder skips or reports them
            }

            _irregular |= field <= previous;
            previous = field;
            var at = _at;
            var ok = field switch
            {
                WrpField.MsgType => TryReadType(out hasType),
                WrpField.Source => TryReadString(at, out _offsets.Source),
                WrpField.Dest => TryReadString(at, out _offsets.Destination),
                WrpField.TransactionUuid => TryReadString(at, out _offsets.TransactionUuid),
                WrpField.ContentType => TryReadString(at, out _offsets.ContentType),
                WrpField.Accept => TryReadString(at, out _offsets.Accept),
                WrpField.Status => TryReadNullableInteger(out _hasStatus, out _status),
                WrpField.Rdr => TryReadNullableInteger(out _hasRdr, out _rdr),
                WrpField.Headers => TryReadStringArray(at, ref _offsets.Headers, WrpWireOffsets.AsciiHeaders),
                WrpField.Metadata => TryReadMetadata(at),
                WrpField.Path => TryReadString(at, out _offsets.Path),
                WrpField.Payload => TryReadPayload(at),
                WrpField.ServiceName => TryReadString(at, out _offsets.ServiceName),
                WrpField.Url => TryReadString(at, out _offsets.Url),
                WrpField.PartnerIds => TryReadStringArray(at, ref _offsets.PartnerIds, WrpWireOffsets.AsciiPartnerIds),
                WrpField.SessionId => TryReadString(at, out _offsets.SessionId),
                WrpField.Qos => TryReadInteger(out _qos),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        // The encoder always writes msg_type and qos (with the keys in order, qos is the last).
        _irregular |= !hasType || previous != WrpField.Qos;
        consumed = _at;
        return true;
    }

    /// <summary>The message over <paramref name="wire"/>, the bytes read (exactly the message) as its own copy.</summary>
    public readonly WrpMessage Build(byte[] wire) => new(wire, _offsets, _irregular ? -1 : 0)
    {
        Type = _type,
        Status = _hasStatus ? _status : null,
        RequestDeliveryResponse = _hasRdr ? _rdr : null,
        QualityOfService = _qos,
    };

    private readonly int Remaining => _input.Length - _at;

    /// <summary>A str key (bin keys go to the general decoder), matched on its bytes; Unknown when it cannot be read.</summary>
    private WrpField ReadKey()
    {
        if (_at >= _input.Length)
        {
            return WrpField.Unknown;
        }

        var code = _input[_at];
        if (!TrySkipString(out var length))
        {
            return WrpField.Unknown;
        }

        // Every known key is at most 16 bytes: the encoder writes it as a fixstr.
        _irregular |= code != (byte)(MessagePackCode.MinFixStr | length);
        return WrpMsgPackKeys.Match(_input.Slice(_at - length, length));
    }

    private bool TryReadType(out bool hasType)
    {
        hasType = TryReadInteger(out var value);
        _type = (MessageType)value;
        return hasType;
    }

    /// <summary>Any int family; <c>cf</c> only up to <see cref="long.MaxValue"/> (msgp <c>ReadInt64Bytes</c>).</summary>
    private bool TryReadInteger(out long value)
    {
        value = 0;
        var rest = _input[_at..];
        if (rest.IsEmpty)
        {
            return false;
        }

        var code = rest[0];
        int size;
        if (code <= MessagePackCode.MaxFixInt || code >= MessagePackCode.MinNegativeFixInt)
        {
            value = (sbyte)code;
            size = 1;
        }
        else
        {
            size = code switch
            {
                MessagePackCode.UInt8 or MessagePackCode.Int8 => 2,
                MessagePackCode.UInt16 or MessagePackCode.Int16 => 3,
                MessagePackCode.UInt32 or MessagePackCode.Int32 => 5,
                MessagePackCode.UInt64 or MessagePackCode.Int64 => 9,
                _ => 0,
            };
            if (size == 0 || rest.Length < size)
            {
                return false;
            }

            var bytes = rest[1..size];
            value = code switch
            {
                MessagePackCode.UInt8 => bytes[0],
                MessagePackCode.Int8 => (sbyte)bytes[0],
                MessagePackCode.UInt16 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
                MessagePackCode.Int16 => BinaryPrimitives.ReadInt16BigEndian(bytes),
                MessagePackCode.UInt32 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
                MessagePackCode.Int32 => BinaryPrimitives.ReadInt32BigEndian(bytes),
                MessagePackCode.Int64 => BinaryPrimitives.ReadInt64BigEndian(bytes),
                _ => BinaryPrimitives.ReadInt64BigEndian(bytes), // UInt64: negative here means above long.MaxValue
            };
            if (code == MessagePackCode.UInt64 && value < 0)
            {
                return false;
            }
        }

        _irregular |= !WrpMsgPackCanonical.IsMsgpInteger(code, value);
        _at += size;
        return true;
    }

    /// <summary>status and rdr: <c>c0</c> nil means absent, otherwise an integer.</summary>
    private bool TryReadNullableInteger(out bool present, out long value)
    {
        if (_at < _input.Length && _input[_at] == MessagePackCode.Nil)
        {
            _at++;
            _irregular = true; // absent: not written
            present = false;
            value = 0;
            return true;
        }

        present = TryReadInteger(out value);
        return present;
    }

    /// <summary>A str field: where it is (as <see cref="WrpMsgPackDecoder"/> records it), or 0 for an empty string.</summary>
    private bool TryReadString(int at, out int slot)
    {
        slot = 0;
        if (!TrySkipString(out var length))
        {
            return false;
        }

        if (length == 0)
        {
            _irregular = true; // "not set": not written
            return true;
        }

        slot = Slot(at, length);
        return true;
    }

    /// <summary>The value just read, of <paramref name="length"/> content bytes, as a <see cref="WrpWireOffsets"/> entry.</summary>
    private readonly int Slot(int at, int length) =>
        _offsets.Packed ? (int)(((uint)(_at - length) << 16) | (uint)length) : at;

    /// <summary>Reads past a str (the str family only), checking that its content is in the input; gives its length.</summary>
    private bool TrySkipString(out int length)
    {
        length = 0;
        var rest = _input[_at..];
        if (rest.IsEmpty)
        {
            return false;
        }

        var code = rest[0];
        int header;
        if (code is >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr)
        {
            length = code & 0x1F;
            header = 1;
        }
        else if (code == MessagePackCode.Str8 && rest.Length >= 2)
        {
            length = rest[1];
            header = 2;
        }
        else if (code == MessagePackCode.Str16 && rest.Length >= 3)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
            header = 3;
        }
        else if (code == MessagePackCode.Str32 && rest.Length >= 5)
        {
            var declared = BinaryPrimitives.ReadUInt32BigEndian(rest[1..]);
            if (declared > int.MaxValue)
            {
                return false;
            }

            length = (int)declared;
            header = 5;
        }
        else
        {
            return false;
        }

        if (length > rest.Length - header)
        {
            return false;
        }

        _irregular |= !WrpMsgPackCanonical.IsShortestStrHeader(code, length);
        _at += header + length;
        return true;
    }

    /// <summary>A map header whose count fits in the bytes that remain (2 bytes at least per entry).</summary>
    private bool TryReadMapHeader(out int count) =>
        TryReadCollectionHeader(MessagePackCode.MinFixMap, MessagePackCode.Map16, MessagePackCode.Map32, 2, out count);

    /// <summary>An array header whose count fits in the bytes that remain (1 byte at least per element).</summary>
    private bool TryReadArrayHeader(out int count) =>
        TryReadCollectionHeader(MessagePackCode.MinFixArray, MessagePackCode.Array16, MessagePackCode.Array32, 1, out count);

    private bool TryReadCollectionHeader(byte minFix, byte code16, byte code32, int minBytesEach, out int count)
    {
        count = 0;
        var rest = _input[_at..];
        if (rest.IsEmpty)
        {
            return false;
        }

        var code = rest[0];
        uint declared;
        int header;
        if (code >= minFix && code <= minFix + 0x0F)
        {
            declared = (uint)(code & 0x0F);
            header = 1;
        }
        else if (code == code16 && rest.Length >= 3)
        {
            declared = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
            header = 3;
        }
        else if (code == code32 && rest.Length >= 5)
        {
            declared = BinaryPrimitives.ReadUInt32BigEndian(rest[1..]);
            header = 5;
        }
        else
        {
            return false;
        }

        if ((long)declared * minBytesEach > rest.Length - header)
        {
            return false;
        }

        count = (int)declared;
        _at += header;
        return true;
    }

    /// <summary>
    /// An array of str: where it is, or 0 for <c>90</c> on a fresh message (as <see cref="WrpMsgPackDecoder"/>; after
    /// an earlier non-nil value of the same key an empty array is on the wire).
    /// </summary>
    private bool TryReadStringArray(int at, ref int slot, byte asciiFlag)
    {
        if (_at >= _input.Length)
        {
            return false;
        }

        var code = _input[_at];
        if (!TryReadArrayHeader(out var count))
        {
            return false;
        }

        _offsets.Ascii &= (byte)~asciiFlag;
        if (count == 0)
        {
            _irregular = true;
            slot = slot == 0 ? 0 : at;
            return true;
        }

        _irregular |= !WrpMsgPackCanonical.IsShortestArrayHeader(code, count);
        var start = _at;
        for (var i = 0; i < count; i++)
        {
            if (!TrySkipString(out _))
            {
                return false;
            }
        }

        // Each str header has one byte of 0x80 or more (its type byte): exactly that many means ASCII content.
        if (WrpMsgPackUtf8.CountNonAscii(_input[start.._at]) == count)
        {
            _offsets.Ascii |= asciiFlag;
        }

        slot = at;
        return true;
    }

    /// <summary>A map of str to str; <c>80</c> gives an empty map.</summary>
    private bool TryReadMetadata(int at)
    {
        if (_at >= _input.Length)
        {
            return false;
        }

        var code = _input[_at];
        if (!TryReadMapHeader(out var count))
        {
            return false;
        }

        _irregular |= !WrpMsgPackCanonical.IsShortestMapHeader(code, count);
        var start = _at;
        for (var i = 0; i < count * 2; i++)
        {
            if (!TrySkipString(out _))
            {
                return false;
            }
        }

        _offsets.Ascii = count > 0 && WrpMsgPackUtf8.CountNonAscii(_input[start.._at]) == count * 2
            ? (byte)(_offsets.Ascii | WrpWireOffsets.AsciiMetadata)
            : (byte)(_offsets.Ascii & ~WrpWireOffsets.AsciiMetadata);
        _offsets.Metadata = at;
        return true;
    }

    /// <summary>The bin family only; <c>c4 00</c> gives 0 (null), or an empty array after an earlier non-nil payload.</summary>
    private bool TryReadPayload(int at)
    {
        var rest = _input[_at..];
        if (rest.IsEmpty)
        {
            return false;
        }

        var code = rest[0];
        int length;
        int header;
        if (code == MessagePackCode.Bin8 && rest.Length >= 2)
        {
            length = rest[1];
            header = 2;
        }
        else if (code == MessagePackCode.Bin16 && rest.Length >= 3)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
            header = 3;
        }
        else if (code == MessagePackCode.Bin32 && rest.Length >= 5)
        {
            var declared = BinaryPrimitives.ReadUInt32BigEndian(rest[1..]);
            if (declared > int.MaxValue)
            {
                return false;
            }

            length = (int)declared;
            header = 5;
        }
        else
        {
            return false;
        }

        if (length > rest.Length - header)
        {
            return false;
        }

        _at += header + length;
        _irregular |= length == 0 || !WrpMsgPackCanonical.IsShortestBinHeader(code, length);
        _offsets.Payload = length == 0 && _offsets.Payload == 0 ? 0 : Slot(at, length);
        return true;
    }
}
