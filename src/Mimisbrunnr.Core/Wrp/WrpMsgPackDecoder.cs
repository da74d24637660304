using System.Buffers;
using MessagePack;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// Reads one WRP message with wrp-go v5's strictness (<c>unmarshalMsg</c> and msgp's <c>read_bytes.go</c>,
/// SPEC.md §2 "Decoding"), on top of <see cref="MessagePackReader"/>.
/// </summary>
/// <remarks>
/// Every failure becomes a <see cref="WrpFormatException"/> naming the part of the message (the field's wire name) and
/// the byte offset of the value being read. Counts are checked against the bytes that remain before anything is
/// allocated, and unknown values are skipped iteratively with a depth limit.
/// </remarks>
internal ref struct WrpMsgPackDecoder
{
    /// <summary>Skip depths up to this keep their counters on the stack.</summary>
    private const int StackSkipDepth = 64;

    private readonly ReadOnlySequence<byte> _input;
    private readonly ReadOnlySpan<byte> _contiguous;
    private readonly long _length;
    private readonly int _maxSkipDepth;
    private MessagePackReader _reader;
    private Part _part;
    private WrpField _field;
    private long _metadataKeyAt;
    private long _offset;

    // What ReadMessage found.
    private WrpWireOffsets _at;

    // Whether the input differs from what WrpMsgPackEncoder writes for the message (see ReadMessage).
    private bool _irregular;
    private MessageType _type;
    private long? _status;
    private long? _rdr;
    private long _qos;

    private WrpMsgPackDecoder(in ReadOnlySequence<byte> input, WrpMsgPackOptions options)
    {
        _input = input;
        _contiguous = input.IsSingleSegment ? input.FirstSpan : default;
        _reader = new MessagePackReader(input);
        _length = input.Length;
        _at.Packed = _length <= ushort.MaxValue;
        _maxSkipDepth = options.MaxSkipDepth;
        _metadataKeyAt = -1;
    }

    private WrpMsgPackDecoder(byte[] input, WrpMsgPackOptions options)
    {
        _input = new ReadOnlySequence<byte>(input);
        _contiguous = input;

        // Over memory rather than a sequence: MessagePackReader's contiguous mode is markedly faster.
        _reader = new MessagePackReader(input);
        _length = input.Length;
        _at.Packed = _length <= ushort.MaxValue;
        _maxSkipDepth = options.MaxSkipDepth;
        _metadataKeyAt = -1;
    }

    private enum Part
    {
        TopLevel,
        Key,
        Value,
    }

    /// <summary>
    /// Decodes the message at the start of <paramref name="input"/>; trailing bytes are left unread. The message keeps
    /// a copy of its own bytes (see <see cref="WrpMessage"/>).
    /// </summary>
    /// <param name="input">The bytes.</param>
    /// <param name="options">The limits.</param>
    /// <param name="consumed">The number of bytes the message occupies.</param>
    /// <returns>The message.</returns>
    /// <exception cref="WrpFormatException">The bytes are not a WRP message as wrp-go reads it, or exceed a limit.</exception>
    public static WrpMessage Decode(in ReadOnlySequence<byte> input, WrpMsgPackOptions options, out long consumed)
    {
        CheckInputLength(input.Length, options);
        if (input.IsSingleSegment)
        {
            var fast = new WrpMsgPackSpanDecoder(input.FirstSpan, input.Length <= ushort.MaxValue);
            if (fast.TryRead(out var length))
            {
                consumed = length;
                return fast.Build(input.FirstSpan[..length].ToArray());
            }
        }

        var decoder = new WrpMsgPackDecoder(input, options);
        decoder.Read(out consumed);
        return decoder.Build(input.Slice(0, consumed).ToArray());
    }

    /// <summary>
    /// Decodes the message at the start of <paramref name="input"/>, an array the message may keep (the caller gives it
    /// up); trailing bytes are left unread and not kept.
    /// </summary>
    /// <param name="input">The bytes, already checked against <see cref="WrpMsgPackOptions.MaxInputLength"/>.</param>
    /// <param name="options">The limits.</param>
    /// <param name="consumed">The number of bytes the message occupies.</param>
    /// <returns>The message.</returns>
    /// <exception cref="WrpFormatException">The bytes are not a WRP message as wrp-go reads it, or exceed a limit.</exception>
    public static WrpMessage DecodeOwned(byte[] input, WrpMsgPackOptions options, out int consumed)
    {
        // The fast path reads what messages hold; anything else (unknown keys to skip, errors) is read again below.
        var fast = new WrpMsgPackSpanDecoder(input, input.Length <= ushort.MaxValue);
        if (fast.TryRead(out consumed))
        {
            return fast.Build(consumed == input.Length ? input : input.AsSpan(0, consumed).ToArray());
        }

        return DecodeWithReader(input, options, out consumed);
    }

    /// <summary>
    /// <see cref="DecodeOwned"/> without the fast path: for what <see cref="WrpMsgPackSpanDecoder"/> leaves (unknown
    /// keys, errors), and for tests that compare the two.
    /// </summary>
    /// <param name="input">The bytes, already checked against <see cref="WrpMsgPackOptions.MaxInputLength"/>.</param>
    /// <param name="options">The limits.</param>
    /// <param name="consumed">The number of bytes the message occupies.</param>
    /// <returns>The message.</returns>
    /// <exception cref="WrpFormatException">The bytes are not a WRP message as wrp-go reads it, or exceed a limit.</exception>
    public static WrpMessage DecodeWithReader(byte[] input, WrpMsgPackOptions options, out int consumed)
    {
        var decoder = new WrpMsgPackDecoder(input, options);
        decoder.Read(out var length);
        consumed = (int)length;
        return decoder.Build(consumed == input.Length ? input : input.AsSpan(0, consumed).ToArray());
    }

    /// <summary>Rejects an input longer than <see cref="WrpMsgPackOptions.MaxInputLength"/>.</summary>
    /// <param name="length">The input length in bytes.</param>
    /// <param name="options">The limits.</param>
    /// <exception cref="WrpFormatException">The input is too long.</exception>
    public static void CheckInputLength(long length, WrpMsgPackOptions options)
    {
        if (length > options.MaxInputLength)
        {
            throw new WrpFormatException(
                $"WRP msgpack: the input is {length} bytes, more than the limit of {options.MaxInputLength} (WrpMsgPackOptions.MaxInputLength)",
                0);
        }
    }

    private void Read(out long consumed)
    {
        try
        {
            ReadMessage();
            consumed = _reader.Consumed;
        }
        catch (EndOfStreamException)
        {
            throw Fail("the input ends before the value is complete");
        }
        catch (MessagePackSerializationException ex)
        {
            throw Fail($"invalid msgpack ({ex.Message})");
        }
        catch (ArgumentOutOfRangeException)
        {
            // MessagePackReader reports a str32/bin32 length of 2^31 or more this way (it reads it as a negative int).
            throw Fail("a declared length is larger than the input");
        }
        catch (OverflowException)
        {
            throw Fail("a value is out of range");
        }
    }

    private readonly WrpMessage Build(byte[] wire) => new(wire, _at, _irregular ? -1 : 0)
    {
        Type = _type,
        Status = _status,
        RequestDeliveryResponse = _rdr,
        QualityOfService = _qos,
    };

    /// <summary>
    /// Reads the top-level map: checks every value as an eager decode would (types, counts, lengths), records where
    /// each lazily created field starts, and notes whether the bytes are exactly what the encoder would write for the
    /// message (then encoding it copies them; a repeated metadata key is looked for on that first encode).
    /// </summary>
    /// <remarks>
    /// "Irregular" is anything the encoder writes otherwise: a key that is unknown, repeated, out of wrp-go's order, bin
    /// or not a fixstr; no msg_type or no qos; an integer not in msgp's family; a header longer than needed; an empty
    /// string, a nil status/rdr, empty headers/partner ids/payload (all left out when encoding). The checks compare the
    /// header byte the reader returned with the one the writer would write; they read nothing themselves.
    /// </remarks>
    private void ReadMessage()
    {
        _part = Part.TopLevel;
        _offset = 0;
        if (_length == 0)
        {
            throw Fail("the input is empty");
        }

        var code = _reader.NextCode;
        if (MessagePackCode.ToMessagePackType(code) != MessagePackType.Map)
        {
            throw Fail($"expected a map, found {Describe(code)}");
        }

        var count = ReadMapHeader();
        _irregular = !WrpMsgPackCanonical.IsShortestMapHeader(code, count);
        var previous = WrpField.Unknown;
        var hasType = false;
        for (var i = 0; i < count; i++)
        {
            _part = Part.Key;
            _offset = _reader.Consumed;
            _field = ReadKey();
            _irregular |= _field <= previous; // Unknown is the lowest
            previous = _field;
            _part = Part.Value;
            _offset = _reader.Consumed;
            var at = (int)_offset;
            switch (_field)
            {
                case WrpField.MsgType:
                    _type = (MessageType)ReadInteger();
                    hasType = true;
                    break;
                case WrpField.Source:
                    _at.Source = ReadString(at);
                    break;
                case WrpField.Dest:
                    _at.Destination = ReadString(at);
                    break;
                case WrpField.TransactionUuid:
                    _at.TransactionUuid = ReadString(at);
                    break;
                case WrpField.ContentType:
                    _at.ContentType = ReadString(at);
                    break;
                case WrpField.Accept:
                    _at.Accept = ReadString(at);
                    break;
                case WrpField.Status:
                    _status = ReadNullableInteger();
                    break;
                case WrpField.Rdr:
                    _rdr = ReadNullableInteger();
                    break;
                case WrpField.Headers:
                    _at.Headers = ReadStringArray(at, _at.Headers, WrpWireOffsets.AsciiHeaders);
                    break;
                case WrpField.Metadata:
                    _at.Metadata = ReadMetadata(at);
                    break;
                case WrpField.Path:
                    _at.Path = ReadString(at);
                    break;
                case WrpField.Payload:
                    _at.Payload = ReadPayload(at, _at.Payload);
                    break;
                case WrpField.ServiceName:
                    _at.ServiceName = ReadString(at);
                    break;
                case WrpField.Url:
                    _at.Url = ReadString(at);
                    break;
                case WrpField.PartnerIds:
                    _at.PartnerIds = ReadStringArray(at, _at.PartnerIds, WrpWireOffsets.AsciiPartnerIds);
                    break;
                case WrpField.SessionId:
                    _at.SessionId = ReadString(at);
                    break;
                case WrpField.Qos:
                    _qos = ReadInteger();
                    break;
                default:
                    SkipValue();
                    break;
            }
        }

        // The encoder always writes msg_type and qos (with the keys in order, qos is the last).
        _irregular |= !hasType || previous != WrpField.Qos;
    }

    /// <summary>A key: str or bin (msgp <c>ReadMapKeyZC</c>), matched on its raw bytes.</summary>
    private WrpField ReadKey()
    {
        var code = _reader.NextCode;
        switch (MessagePackCode.ToMessagePackType(code))
        {
            case MessagePackType.String:
                if (_reader.TryReadStringSpan(out var span))
                {
                    // Every known key is at most 16 bytes: the encoder writes it as a fixstr.
                    _irregular |= code != (byte)(MessagePackCode.MinFixStr | span.Length);
                    return WrpMsgPackKeys.Match(span);
                }

                _irregular = true; // (a key across segments; no need to know)
                return Match(_reader.ReadStringSequence().GetValueOrDefault());
            case MessagePackType.Binary:
                _irregular = true;
                return Match(_reader.ReadBytes().GetValueOrDefault());
            default:
                throw Fail($"expected str or bin, found {Describe(code)}");
        }
    }

    private static WrpField Match(in ReadOnlySequence<byte> key)
    {
        if (key.IsSingleSegment)
        {
            return WrpMsgPackKeys.Match(key.FirstSpan);
        }

        // The longest known key is transaction_uuid (16 bytes); anything longer is unknown.
        if (key.Length > 16)
        {
            return WrpField.Unknown;
        }

        Span<byte> copy = stackalloc byte[16];
        key.CopyTo(copy);
        return WrpMsgPackKeys.Match(copy[..(int)key.Length]);
    }

    /// <summary>Any int family; <c>cc</c>..<c>cf</c> only up to <see cref="long.MaxValue"/> (msgp <c>ReadInt64Bytes</c>).</summary>
    private long ReadInteger()
    {
        var code = _reader.NextCode;
        if (MessagePackCode.ToMessagePackType(code) != MessagePackType.Integer)
        {
            throw Fail($"expected an integer, found {Describe(code)}");
        }

        try
        {
            var value = _reader.ReadInt64();
            _irregular |= !WrpMsgPackCanonical.IsMsgpInteger(code, value);
            return value;
        }
        catch (OverflowException)
        {
            throw Fail("the unsigned integer is larger than the int64 maximum 9223372036854775807");
        }
    }

    /// <summary>status and rdr: <c>c0</c> nil means absent, otherwise an integer.</summary>
    private long? ReadNullableInteger()
    {
        if (_reader.TryReadNil())
        {
            _irregular = true; // absent: not written
            return null;
        }

        return ReadInteger();
    }

    /// <summary>
    /// A str (the str family only: nil and bin are errors, msgp <c>ReadStringBytes</c>). Returns where it is (see
    /// <see cref="WrpWireOffsets"/>; <paramref name="at"/> is where the value starts), or 0 for an empty string ("not
    /// set", left out by the encoder).
    /// </summary>
    private int ReadString(int at)
    {
        var length = SkipString();
        if (length == 0)
        {
            _irregular = true; // "not set": not written
            return 0;
        }

        return Slot(at, length);
    }

    /// <summary>The value just read, of <paramref name="length"/> content bytes, as a <see cref="WrpWireOffsets"/> entry.</summary>
    private readonly int Slot(int at, int length) =>
        _at.Packed ? (int)(((uint)(_reader.Consumed - length) << 16) | (uint)length) : at;

    /// <summary>Reads past a str, checking its type, and returns its length in bytes.</summary>
    private int SkipString()
    {
        var code = _reader.NextCode;
        if (MessagePackCode.ToMessagePackType(code) != MessagePackType.String)
        {
            throw Fail($"expected str, found {Describe(code)}");
        }

        var length = _reader.TryReadStringSpan(out var span)
            ? span.Length
            : (int)_reader.ReadStringSequence().GetValueOrDefault().Length;
        _irregular |= !WrpMsgPackCanonical.IsShortestStrHeader(code, length);
        return length;
    }

    /// <summary>
    /// An array of str. <c>90</c> gives <see langword="null"/> (0), as wrp-go's <c>z.Headers[:0]</c> does on a fresh
    /// message; after an earlier non-nil value of the same key (a duplicate key) it gives an empty array, as in Go.
    /// </summary>
    private int ReadStringArray(int at, int previous, byte asciiFlag)
    {
        var code = _reader.NextCode;
        if (MessagePackCode.ToMessagePackType(code) != MessagePackType.Array)
        {
            throw Fail($"expected an array of str, found {Describe(code)}");
        }

        if (!_reader.TryReadArrayHeader(out var count))
        {
            throw new EndOfStreamException();
        }

        CheckCount(count, 1, "elements");
        _at.Ascii &= (byte)~asciiFlag;
        if (count == 0)
        {
            _irregular = true; // null (not written), or after an earlier value an empty list of another key count
            return previous == 0 ? 0 : at;
        }

        _irregular |= !WrpMsgPackCanonical.IsShortestArrayHeader(code, count);

        var start = _reader.Consumed;
        for (var i = 0; i < count; i++)
        {
            _offset = _reader.Consumed;
            SkipString();
        }

        if (IsAscii(start, count))
        {
            _at.Ascii |= asciiFlag;
        }

        return at;
    }

    /// <summary>A map of str to str; <c>80</c> gives an empty map. Entries keep their wire order; a repeated key keeps its first position and its last value.</summary>
    private int ReadMetadata(int at)
    {
        var code = _reader.NextCode;
        if (MessagePackCode.ToMessagePackType(code) != MessagePackType.Map)
        {
            throw Fail($"expected a map of str to str, found {Describe(code)}");
        }

        var count = ReadMapHeader();
        _irregular |= !WrpMsgPackCanonical.IsShortestMapHeader(code, count);
        var start = _reader.Consumed;
        for (var i = 0; i < count; i++)
        {
            _offset = _reader.Consumed;
            _metadataKeyAt = _offset;
            SkipString();
            _offset = _reader.Consumed;
            SkipString();
            _metadataKeyAt = -1;
        }

        _at.Ascii = count > 0 && IsAscii(start, count * 2)
            ? (byte)(_at.Ascii | WrpWireOffsets.AsciiMetadata)
            : (byte)(_at.Ascii & ~WrpWireOffsets.AsciiMetadata);
        return at;
    }

    /// <summary>
    /// Whether the <paramref name="strings"/> str values just read, from <paramref name="start"/>, hold only ASCII (so
    /// valid UTF-8), found without reading them again: each str header has at least one byte of 0x80 or more (its
    /// type byte), so the values hold exactly that many such bytes only when no content byte is one. Multi-segment
    /// input is not checked (the validator then reads the values).
    /// </summary>
    private readonly bool IsAscii(long start, int strings) =>
        !_contiguous.IsEmpty
        && WrpMsgPackUtf8.CountNonAscii(_contiguous[(int)start..(int)_reader.Consumed]) == strings;

    /// <summary>
    /// The bin family only (str and nil are errors). <c>c4 00</c> gives <see langword="null"/> (0; msgp
    /// <c>ReadBytesBytes</c> into a nil scratch slice), or an empty array after an earlier non-nil payload.
    /// </summary>
    private int ReadPayload(int at, int previous)
    {
        var code = _reader.NextCode;
        if (MessagePackCode.ToMessagePackType(code) != MessagePackType.Binary)
        {
            throw Fail($"expected bin, found {Describe(code)}");
        }

        var length = (int)_reader.ReadBytes().GetValueOrDefault().Length;
        _irregular |= length == 0 || !WrpMsgPackCanonical.IsShortestBinHeader(code, length);
        return length == 0 && previous == 0 ? 0 : Slot(at, length);
    }

    /// <summary>
    /// Skips the value of an unknown key, whatever its type (msgp <c>Skip</c>), without recursion: one counter of
    /// remaining children per open container, and an error when a value sits deeper than the limit.
    /// </summary>
    private void SkipValue()
    {
        var maxDepth = _maxSkipDepth;
        int[]? rented = null;
        Span<int> pending = maxDepth <= StackSkipDepth
            ? stackalloc int[StackSkipDepth]
            : (rented = ArrayPool<int>.Shared.Rent(maxDepth));
        try
        {
            var depth = 0;
            while (true)
            {
                _offset = _reader.Consumed;
                if (depth >= maxDepth)
                {
                    throw Fail($"the value nests arrays or maps more than {maxDepth} deep (WrpMsgPackOptions.MaxSkipDepth)");
                }

                var code = _reader.NextCode;
                var children = 0;
                switch (MessagePackCode.ToMessagePackType(code))
                {
                    case MessagePackType.Map:
                        children = ReadMapHeader() * 2;
                        break;
                    case MessagePackType.Array:
                        if (!_reader.TryReadArrayHeader(out var count))
                        {
                            throw new EndOfStreamException();
                        }

                        CheckCount(count, 1, "elements");
                        children = count;
                        break;
                    case MessagePackType.Unknown:
                        throw Fail($"found {Describe(code)}");
                    default:
                        _reader.Skip();
                        break;
                }

                if (children > 0)
                {
                    pending[depth++] = children;
                    continue;
                }

                // A value is complete: so is every container whose last child it was.
                while (depth > 0 && --pending[depth - 1] == 0)
                {
                    depth--;
                }

                if (depth == 0)
                {
                    return;
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Reads a map header (the caller checked the type) and checks its count against the input.</summary>
    private int ReadMapHeader()
    {
        if (!_reader.TryReadMapHeader(out var count))
        {
            throw new EndOfStreamException();
        }

        CheckCount(count, 2, "entries");
        return count;
    }

    /// <summary>
    /// Rejects a count that cannot fit in the bytes that remain (each element takes at least
    /// <paramref name="minBytesEach"/> bytes), before anything is allocated for it.
    /// </summary>
    private void CheckCount(int count, int minBytesEach, string what)
    {
        var remaining = _length - _reader.Consumed;

        // MessagePackReader returns array32/map32 counts of 2^31 or more as negative ints.
        var declared = (long)(uint)count;
        if (declared * minBytesEach > remaining)
        {
            throw Fail($"declares {declared} {what} but only {remaining} bytes remain");
        }
    }

    private readonly WrpFormatException Fail(string problem)
    {
        var where = _part switch
        {
            Part.TopLevel => "top-level map",
            Part.Key => "map key",
            _ when _field == WrpField.Unknown => "value of an unknown key",
            _ when _field == WrpField.Metadata && _metadataKeyAt >= 0 && _offset > _metadataKeyAt =>
                $"field \"metadata\", value of key \"{Truncate(MetadataKey())}\"",
            _ => $"field \"{WrpMsgPackKeys.WireName(_field)}\"",
        };
        return new WrpFormatException($"WRP msgpack: {where}: {problem}", _offset);
    }

    /// <summary>The metadata key read last (for an error in its value): read again from the input.</summary>
    private readonly string MetadataKey()
    {
        var reader = new MessagePackReader(_input.Slice(_metadataKeyAt));
        return reader.TryReadStringSpan(out var span)
            ? WrpMsgPackUtf8.Decode(span)
            : WrpMsgPackUtf8.Decode(reader.ReadStringSequence().GetValueOrDefault());
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : string.Concat(value.AsSpan(0, 64), "...");

    private static string Describe(byte code)
    {
        var kind = MessagePackCode.ToMessagePackType(code) switch
        {
            MessagePackType.Integer => "an integer",
            MessagePackType.Nil => "nil",
            MessagePackType.Boolean => "a bool",
            MessagePackType.Float => "a float",
            MessagePackType.String => "str",
            MessagePackType.Binary => "bin",
            MessagePackType.Array => "an array",
            MessagePackType.Map => "a map",
            MessagePackType.Extension => "an ext",
            _ => "the never-used type byte",
        };
        return $"{kind} (0x{code:x2})";
    }
}
