using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// Reads a <see cref="WrpMessage"/> from JSON the way wrp-go v5's JSON decoder (Go <c>encoding/json</c>'s
/// <c>Decoder.Decode</c> into <c>wrp.Message</c>) does. See <see cref="WrpJson.Decode"/> for the rules.
/// </summary>
internal static class WrpJsonDecoder
{
    public static WrpMessage Decode(ReadOnlySpan<byte> json)
    {
        if (json.Length > WrpJson.MaxInputLength)
        {
            throw new WrpFormatException(
                $"JSON input of {json.Length} bytes is larger than the limit of {WrpJson.MaxInputLength} bytes", 0);
        }

        // Go's scanner skips exactly these four white-space bytes before a value (no BOM).
        var start = 0;
        while (start < json.Length && json[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }

        if (start == json.Length)
        {
            throw new WrpFormatException("no JSON value in the input (EOF)", start);
        }

        if (json[start..].StartsWith("null"u8))
        {
            // Go reads the value "null" (whatever follows it is past the end of the first value) and unmarshalling
            // null into a struct is a no-op: the result is the zero message, msg_type 0, which validation rejects.
            return new WrpMessage();
        }

        if (json[start] != '{')
        {
            throw new WrpFormatException(
                $"the JSON value must be an object, not {DescribeStart(json[start])}", start);
        }

        var state = new State();
        var reader = new Utf8JsonReader(json[start..], new JsonReaderOptions { MaxDepth = WrpJson.MaxDepth });
        try
        {
            return ReadMessage(ref reader, ref state, start);
        }
        catch (JsonException ex)
        {
            throw new WrpFormatException(
                $"invalid JSON: {ex.Message}",
                start + ErrorOffset(json[start..], ex.LineNumber, ex.BytePositionInLine, reader.BytesConsumed));
        }
        finally
        {
            state.Return();
        }
    }

    // The reader reports a line ('\n'-separated) and a byte position in it; turn them into an offset in the input.
    private static long ErrorOffset(ReadOnlySpan<byte> json, long? line, long? bytePositionInLine, long fallback)
    {
        if (line is not { } lines || bytePositionInLine is not { } position)
        {
            return fallback;
        }

        var lineStart = 0;
        for (long i = 0; i < lines; i++)
        {
            var next = json[lineStart..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return fallback;
            }

            lineStart += next + 1;
        }

        return lineStart + position;
    }

    private static WrpMessage ReadMessage(ref Utf8JsonReader reader, ref State state, int offset)
    {
        reader.Read(); // '{', checked by the caller.
        long type = 0;
        long qos = 0;
        string source = string.Empty, dest = string.Empty, transactionUuid = string.Empty, contentType = string.Empty,
            accept = string.Empty, path = string.Empty, serviceName = string.Empty, url = string.Empty,
            sessionId = string.Empty;
        long? status = null, rdr = null;
        Dictionary<string, string>? metadata = null;

        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var field = MatchField(reader.ValueSpan, reader.ValueIsEscaped);
            reader.Read();
            switch (field)
            {
                case WrpField.MsgType:
                    ReadInt64(ref reader, "msg_type", offset, ref type);
                    break;
                case WrpField.Source:
                    ReadString(ref reader, "source", offset, ref source);
                    break;
                case WrpField.Dest:
                    ReadString(ref reader, "dest", offset, ref dest);
                    break;
                case WrpField.TransactionUuid:
                    ReadString(ref reader, "transaction_uuid", offset, ref transactionUuid);
                    break;
                case WrpField.ContentType:
                    ReadString(ref reader, "content_type", offset, ref contentType);
                    break;
                case WrpField.Accept:
                    ReadString(ref reader, "accept", offset, ref accept);
                    break;
                case WrpField.Status:
                    ReadNullableInt64(ref reader, "status", offset, ref status);
                    break;
                case WrpField.Rdr:
                    ReadNullableInt64(ref reader, "rdr", offset, ref rdr);
                    break;
                case WrpField.Headers:
                    ReadStringList(ref reader, "headers", offset, ref state.Headers);
                    break;
                case WrpField.Metadata:
                    ReadMetadata(ref reader, offset, ref metadata);
                    break;
                case WrpField.Path:
                    ReadString(ref reader, "path", offset, ref path);
                    break;
                case WrpField.Payload:
                    ReadPayload(ref reader, offset, ref state.Payload);
                    break;
                case WrpField.ServiceName:
                    ReadString(ref reader, "service_name", offset, ref serviceName);
                    break;
                case WrpField.Url:
                    ReadString(ref reader, "url", offset, ref url);
                    break;
                case WrpField.PartnerIds:
                    ReadStringList(ref reader, "partner_ids", offset, ref state.PartnerIds);
                    break;
                case WrpField.SessionId:
                    ReadString(ref reader, "session_id", offset, ref sessionId);
                    break;
                case WrpField.Qos:
                    ReadInt64(ref reader, "qos", offset, ref qos);
                    break;
                default:
                    // Unknown keys are ignored, whatever their value (the reader still checks its syntax and depth).
                    reader.Skip();
                    break;
            }
        }

        return new WrpMessage
        {
            Type = (MessageType)type,
            Source = source,
            Destination = dest,
            TransactionUuid = transactionUuid,
            ContentType = contentType,
            Accept = accept,
            Status = status,
            RequestDeliveryResponse = rdr,
            Headers = state.Headers.ToArray(),
            Metadata = metadata,
            Path = path,
            Payload = state.Payload.ToArray(),
            ServiceName = serviceName,
            Url = url,
            PartnerIds = state.PartnerIds.ToArray(),
            SessionId = sessionId,
            QualityOfService = qos,
        };
    }

    // A string field: null leaves the value as it was (Go: null into a string is a no-op).
    private static void ReadString(ref Utf8JsonReader reader, string name, int offset, ref string value)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                value = WrpJsonStrings.Decode(reader.ValueSpan, reader.ValueIsEscaped);
                break;
            case JsonTokenType.Null:
                break;
            default:
                throw TypeError(ref reader, name, "a string", offset);
        }
    }

    // msg_type and qos: null leaves the value as it was.
    private static void ReadInt64(ref Utf8JsonReader reader, string name, int offset, ref long value)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                value = ParseInt64(ref reader, name, offset);
                break;
            case JsonTokenType.Null:
                break;
            default:
                throw TypeError(ref reader, name, "an integer", offset);
        }
    }

    // status and rdr are pointers in Go: null sets them back to nil.
    private static void ReadNullableInt64(ref Utf8JsonReader reader, string name, int offset, ref long? value)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                value = ParseInt64(ref reader, name, offset);
                break;
            case JsonTokenType.Null:
                value = null;
                break;
            default:
                throw TypeError(ref reader, name, "an integer", offset);
        }
    }

    // Go's strconv.ParseInt on the number's text: no fraction, no exponent, within int64.
    private static long ParseInt64(ref Utf8JsonReader reader, string name, int offset)
    {
        var text = reader.ValueSpan;
        if (text.IndexOfAny(".eE"u8) >= 0)
        {
            throw new WrpFormatException(
                $"{name}: cannot decode number {Encoding.UTF8.GetString(text)} as an integer",
                offset + reader.TokenStartIndex);
        }

        if (!Utf8Parser.TryParse(text, out long value, out var consumed) || consumed != text.Length)
        {
            throw new WrpFormatException(
                $"{name}: number {Encoding.UTF8.GetString(text)} is out of range for a 64-bit integer",
                offset + reader.TokenStartIndex);
        }

        return value;
    }

    // headers and partner_ids ([]string): null sets nil; [] an empty list; a null element decodes as a no-op into the
    // element Go reuses (see WrpJsonStringSlice).
    private static void ReadStringList(ref Utf8JsonReader reader, string name, int offset, ref WrpJsonStringSlice list)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            list.SetNull();
            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw TypeError(ref reader, name, "an array of strings", offset);
        }

        var count = 0;
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                break;
            }

            if (reader.TokenType == JsonTokenType.String)
            {
                list.Set(count++, WrpJsonStrings.Decode(reader.ValueSpan, reader.ValueIsEscaped));
            }
            else if (reader.TokenType == JsonTokenType.Null)
            {
                list.Set(count++, null);
            }
            else
            {
                throw TypeError(ref reader, name + " element", "a string", offset);
            }
        }

        list.End(count);
    }

    // metadata (map[string]string): null sets nil; an object adds to the map (a repeated "metadata" key merges, as Go
    // reuses the map); a null value stores "" (Go decodes null into a fresh zero element).
    private static void ReadMetadata(ref Utf8JsonReader reader, int offset, ref Dictionary<string, string>? metadata)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            metadata = null;
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw TypeError(ref reader, "metadata", "an object of strings", offset);
        }

        metadata ??= new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var key = WrpJsonStrings.Decode(reader.ValueSpan, reader.ValueIsEscaped);
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                metadata[key] = WrpJsonStrings.Decode(reader.ValueSpan, reader.ValueIsEscaped);
            }
            else if (reader.TokenType == JsonTokenType.Null)
            {
                metadata[key] = string.Empty;
            }
            else
            {
                throw TypeError(ref reader, "metadata value", "a string", offset);
            }
        }
    }

    // payload ([]byte): a base64 string, an array of numbers 0..255, or null.
    private static void ReadPayload(ref Utf8JsonReader reader, int offset, ref WrpJsonByteSlice payload)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                payload.SetNull();
                return;
            case JsonTokenType.String:
                ReadBase64(ref reader, offset, ref payload);
                return;
            case JsonTokenType.StartArray:
                break;
            default:
                throw TypeError(ref reader, "payload", "a base64 string or an array of bytes", offset);
        }

        var count = 0;
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                break;
            }

            if (reader.TokenType == JsonTokenType.Number)
            {
                // Go's strconv.ParseUint: digits only, and the value must fit a uint8.
                var text = reader.ValueSpan;
                if (!AllDigits(text) || !Utf8Parser.TryParse(text, out byte value, out var consumed) || consumed != text.Length)
                {
                    throw new WrpFormatException(
                        $"payload element: cannot decode number {Encoding.UTF8.GetString(text)} as a byte (0..255)",
                        offset + reader.TokenStartIndex);
                }

                payload.Set(count++, value);
            }
            else if (reader.TokenType == JsonTokenType.Null)
            {
                payload.Set(count++, null);
            }
            else
            {
                throw TypeError(ref reader, "payload element", "a number 0..255", offset);
            }
        }

        payload.End(count);
    }

    private static bool AllDigits(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return true;
    }

    private static void ReadBase64(ref Utf8JsonReader reader, int offset, ref WrpJsonByteSlice payload)
    {
        var raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped && WrpJsonBase64.TryDecodeExact(raw, out var exact))
        {
            payload.SetExact(exact);
            return;
        }

        byte[]? rented = null;
        try
        {
            if (reader.ValueIsEscaped)
            {
                // Base64 decodes the unescaped bytes; rare, so the simple route: unescape, then narrow to bytes (any
                // non-ASCII character is outside the alphabet, so it can become a byte that is too).
                rented = ArrayPool<byte>.Shared.Rent(raw.Length);
                var chars = ArrayPool<char>.Shared.Rent(raw.Length);
                try
                {
                    var length = WrpJsonStrings.Unescape(raw, chars);
                    for (var i = 0; i < length; i++)
                    {
                        rented[i] = chars[i] < 0x80 ? (byte)chars[i] : (byte)0xFF;
                    }

                    raw = rented.AsSpan(0, length);
                }
                finally
                {
                    ArrayPool<char>.Shared.Return(chars);
                }
            }

            var destination = payload.Replace(WrpJsonBase64.MaxDecodedLength(raw.Length));
            if (!WrpJsonBase64.TryDecode(raw, destination, out var written, out var errorIndex))
            {
                throw new WrpFormatException(
                    $"payload: illegal base64 data at input byte {errorIndex} (standard padded base64 is required)",
                    offset + reader.TokenStartIndex);
            }

            payload.End(written);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static WrpFormatException TypeError(ref Utf8JsonReader reader, string name, string expected, int offset) =>
        new($"{name}: cannot decode a JSON {Describe(reader.TokenType)} as {expected}", offset + reader.TokenStartIndex);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "bool",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static string DescribeStart(byte first) => first switch
    {
        (byte)'[' => "an array",
        (byte)'"' => "a string",
        (byte)'t' or (byte)'f' => "a bool",
        (byte)'-' or (>= (byte)'0' and <= (byte)'9') => "a number",
        _ => $"invalid character 0x{first:x2}",
    };

    /// <summary>
    /// Matches a key to a field like Go's <c>encoding/json</c>: after unescaping, case-insensitively with Unicode
    /// simple folding. For these ASCII field names that is ASCII case-insensitivity plus the two non-ASCII letters
    /// that fold to ASCII ones: U+017F (long s) matches <c>s</c> and U+212A (Kelvin sign) matches <c>k</c>.
    /// </summary>
    internal static WrpField MatchField(ReadOnlySpan<byte> raw, bool escaped)
    {
        if (!escaped && Ascii.IsValid(raw))
        {
            return MatchAscii(raw);
        }

        // A name of at most 16 characters has at most 6 bytes per character (a \uXXXX escape).
        const int MaxNameLength = 16;
        if (raw.Length > MaxNameLength * 6)
        {
            return WrpField.Unknown;
        }

        Span<char> chars = stackalloc char[MaxNameLength * 6];
        var length = WrpJsonStrings.Unescape(raw, chars);
        if (length > MaxNameLength)
        {
            return WrpField.Unknown;
        }

        Span<byte> folded = stackalloc byte[MaxNameLength];
        for (var i = 0; i < length; i++)
        {
            var c = chars[i];
            folded[i] = c switch
            {
                < (char)0x80 => (byte)c,
                '\u017F' => (byte)'s',
                '\u212A' => (byte)'k',
                _ => 0,
            };
            if (folded[i] == 0)
            {
                return WrpField.Unknown;
            }
        }

        return MatchAscii(folded[..length]);
    }

    private static WrpField MatchAscii(ReadOnlySpan<byte> name) => name.Length switch
    {
        3 when Ascii.EqualsIgnoreCase(name, "rdr"u8) => WrpField.Rdr,
        3 when Ascii.EqualsIgnoreCase(name, "url"u8) => WrpField.Url,
        3 when Ascii.EqualsIgnoreCase(name, "qos"u8) => WrpField.Qos,
        4 when Ascii.EqualsIgnoreCase(name, "dest"u8) => WrpField.Dest,
        4 when Ascii.EqualsIgnoreCase(name, "path"u8) => WrpField.Path,
        6 when Ascii.EqualsIgnoreCase(name, "source"u8) => WrpField.Source,
        6 when Ascii.EqualsIgnoreCase(name, "accept"u8) => WrpField.Accept,
        6 when Ascii.EqualsIgnoreCase(name, "status"u8) => WrpField.Status,
        7 when Ascii.EqualsIgnoreCase(name, "headers"u8) => WrpField.Headers,
        7 when Ascii.EqualsIgnoreCase(name, "payload"u8) => WrpField.Payload,
        8 when Ascii.EqualsIgnoreCase(name, "msg_type"u8) => WrpField.MsgType,
        8 when Ascii.EqualsIgnoreCase(name, "metadata"u8) => WrpField.Metadata,
        10 when Ascii.EqualsIgnoreCase(name, "session_id"u8) => WrpField.SessionId,
        11 when Ascii.EqualsIgnoreCase(name, "partner_ids"u8) => WrpField.PartnerIds,
        12 when Ascii.EqualsIgnoreCase(name, "content_type"u8) => WrpField.ContentType,
        12 when Ascii.EqualsIgnoreCase(name, "service_name"u8) => WrpField.ServiceName,
        16 when Ascii.EqualsIgnoreCase(name, "transaction_uuid"u8) => WrpField.TransactionUuid,
        _ => WrpField.Unknown,
    };

    /// <summary>The list and payload buffers of one decode.</summary>
    private struct State
    {
        public WrpJsonStringSlice Headers;
        public WrpJsonStringSlice PartnerIds;
        public WrpJsonByteSlice Payload;

        public void Return()
        {
            Headers.Return();
            PartnerIds.Return();
            Payload.Return();
        }
    }
}
