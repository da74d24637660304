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
    /// <summary>Arrays and maps larger than this grow as they are read instead of being allocated up front.</summary>
    private const int MaxPreallocatedElements = 1024;

    /// <summary>Skip depths up to this keep their counters on the stack.</summary>
    private const int StackSkipDepth = 64;

    private readonly long _length;
    private readonly int _maxSkipDepth;
    private MessagePackReader _reader;
    private Part _part;
    private WrpField _field;
    private string? _metadataKey;
    private long _offset;

    private WrpMsgPackDecoder(in ReadOnlySequence<byte> input, WrpMsgPackOptions options)
    {
        _reader = new MessagePackReader(input);
        _length = input.Length;
        _maxSkipDepth = options.MaxSkipDepth;
    }

    private enum Part
    {
        TopLevel,
        Key,
        Value,
    }

    /// <summary>Decodes the message at the start of <paramref name="input"/>; trailing bytes are left unread.</summary>
    /// <param name="input">The bytes.</param>
    /// <param name="options">The limits.</param>
    /// <param name="consumed">The number of bytes the message occupies.</param>
    /// <returns>The message.</returns>
    /// <exception cref="WrpFormatException">The bytes are not a WRP message as wrp-go reads it, or exceed a limit.</exception>
    public static WrpMessage Decode(in ReadOnlySequence<byte> input, WrpMsgPackOptions options, out long consumed)
    {
        CheckInputLength(input.Length, options);
        var decoder = new WrpMsgPackDecoder(input, options);
        try
        {
            var message = decoder.ReadMessage();
            consumed = decoder._reader.Consumed;
            return message;
        }
        catch (EndOfStreamException)
        {
            throw decoder.Fail("the input ends before the value is complete");
        }
        catch (MessagePackSerializationException ex)
        {
            throw decoder.Fail($"invalid msgpack ({ex.Message})");
        }
        catch (ArgumentOutOfRangeException)
        {
            // MessagePackReader reports a str32/bin32 length of 2^31 or more this way (it reads it as a negative int).
            throw decoder.Fail("a declared length is larger than the input");
        }
        catch (OverflowException)
        {
            throw decoder.Fail("a value is out of range");
        }
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

    private WrpMessage ReadMessage()
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
        MessageType type = default;
        string source = string.Empty,
            destination = string.Empty,
            transactionUuid = string.Empty,
            contentType = string.Empty,
            accept = string.Empty,
            path = string.Empty,
            serviceName = string.Empty,
            url = string.Empty,
            sessionId = string.Empty;
        long? status = null, rdr = null;
        string[]? headers = null, partnerIds = null;
        OrderedDictionary<string, string>? metadata = null;
        byte[]? payload = null;
        long qos = 0;

        for (var i = 0; i < count; i++)
        {
            _part = Part.Key;
            _offset = _reader.Consumed;
            _field = ReadKey();
            _part = Part.Value;
            _offset = _reader.Consumed;
            switch (_field)
            {
                case WrpField.MsgType:
                    type = (MessageType)ReadInteger();
                    break;
                case WrpField.Source:
                    source = ReadString();
                    break;
                case WrpField.Dest:
                    destination = ReadString();
                    break;
                case WrpField.TransactionUuid:
                    transactionUuid = ReadString();
                    break;
                case WrpField.ContentType:
                    contentType = ReadString();
                    break;
                case WrpField.Accept:
                    accept = ReadString();
                    break;
                case WrpField.Status:
                    status = _reader.TryReadNil() ? null : ReadInteger();
                    break;
                case WrpField.Rdr:
                    rdr = _reader.TryReadNil() ? null : ReadInteger();
                    break;
                case WrpField.Headers:
                    headers = ReadStringArray(headers);
                    break;
                case WrpField.Metadata:
                    metadata = ReadMetadata();
                    break;
                case WrpField.Path:
                    path = ReadString();
                    break;
                case WrpField.Payload:
                    payload = ReadPayload(payload);
                    break;
                case WrpField.ServiceName:
                    serviceName = ReadString();
                    break;
                case WrpField.Url:
                    url = ReadString();
                    break;
                case WrpField.PartnerIds:
                    partnerIds = ReadStringArray(partnerIds);
                    break;
                case WrpField.SessionId:
                    sessionId = ReadString();
                    break;
                case WrpField.Qos:
                    qos = ReadInteger();
                    break;
                default:
                    SkipValue();
                    break;
            }
        }

        return new WrpMessage
        {
            Type = type,
            Source = source,
            Destination = destination,
            TransactionUuid = transactionUuid,
            ContentType = contentType,
            Accept = accept,
            Status = status,
            RequestDeliveryResponse = rdr,
            Headers = headers,
            Metadata = metadata,
            Path = path,
            Payload = payload,
            ServiceName = serviceName,
            Url = url,
            PartnerIds = partnerIds,
            SessionId = sessionId,
            QualityOfService = qos,
        };
    }

    /// <summary>A key: str or bin (msgp <c>ReadMapKeyZC</c>), matched on its raw bytes.</summary>
    private WrpField ReadKey()
    {
        var code = _reader.NextCode;
        switch (MessagePackCode.ToMessagePackType(code))
        {
            case MessagePackType.String:
                return _reader.TryReadStringSpan(out var span)
                    ? WrpMsgPackKeys.Match(span)
                    : Match(_reader.ReadStringSequence().GetValueOrDefault());
            case MessagePackType.Binary:
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
            return _reader.ReadInt64();
        }
        catch (OverflowException)
        {
            throw Fail("the unsigned integer is larger than the int64 maximum 9223372036854775807");
        }
    }

    /// <summary>The str family only: nil and bin are errors (msgp <c>ReadStringBytes</c>).</summary>
    private string ReadString()
    {
        var code = _reader.NextCode;
        if (MessagePackCode.ToMessagePackType(code) != MessagePackType.String)
        {
            throw Fail($"expected str, found {Describe(code)}");
        }

        return _reader.TryReadStringSpan(out var span)
            ? WrpMsgPackUtf8.Decode(span)
            : WrpMsgPackUtf8.Decode(_reader.ReadStringSequence().GetValueOrDefault());
    }

    /// <summary>
    /// An array of str. <c>90</c> gives <see langword="null"/>, as wrp-go's <c>z.Headers[:0]</c> does on a fresh
    /// message; after an earlier non-nil value of the same key (a duplicate key) it gives an empty array, as in Go.
    /// </summary>
    private string[]? ReadStringArray(string[]? previous)
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
        if (count == 0)
        {
            return previous is null ? null : [];
        }

        if (count <= MaxPreallocatedElements)
        {
            var result = new string[count];
            for (var i = 0; i < result.Length; i++)
            {
                _offset = _reader.Consumed;
                result[i] = ReadString();
            }

            return result;
        }

        var list = new List<string>(MaxPreallocatedElements);
        for (var i = 0; i < count; i++)
        {
            _offset = _reader.Consumed;
            list.Add(ReadString());
        }

        return [.. list];
    }

    /// <summary>A map of str to str; <c>80</c> gives an empty map. Entries keep their wire order; a repeated key keeps its first position and its last value.</summary>
    private OrderedDictionary<string, string> ReadMetadata()
    {
        var code = _reader.NextCode;
        if (MessagePackCode.ToMessagePackType(code) != MessagePackType.Map)
        {
            throw Fail($"expected a map of str to str, found {Describe(code)}");
        }

        var count = ReadMapHeader();
        var metadata = new OrderedDictionary<string, string>(Math.Min(count, MaxPreallocatedElements));
        for (var i = 0; i < count; i++)
        {
            _offset = _reader.Consumed;
            var key = ReadString();
            _metadataKey = key;
            _offset = _reader.Consumed;
            metadata[key] = ReadString();
            _metadataKey = null;
        }

        return metadata;
    }

    /// <summary>
    /// The bin family only (str and nil are errors). <c>c4 00</c> gives <see langword="null"/> (msgp
    /// <c>ReadBytesBytes</c> into a nil scratch slice), or an empty array after an earlier non-nil payload.
    /// </summary>
    private byte[]? ReadPayload(byte[]? previous)
    {
        var code = _reader.NextCode;
        if (MessagePackCode.ToMessagePackType(code) != MessagePackType.Binary)
        {
            throw Fail($"expected bin, found {Describe(code)}");
        }

        var bytes = _reader.ReadBytes().GetValueOrDefault();
        if (bytes.IsEmpty)
        {
            return previous is null ? null : [];
        }

        return bytes.ToArray();
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
            _ when _field == WrpField.Metadata && _metadataKey is not null =>
                $"field \"metadata\", value of key \"{Truncate(_metadataKey)}\"",
            _ => $"field \"{WrpMsgPackKeys.WireName(_field)}\"",
        };
        return new WrpFormatException($"WRP msgpack: {where}: {problem}", _offset);
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
