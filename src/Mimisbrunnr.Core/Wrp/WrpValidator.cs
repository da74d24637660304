using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Unicode;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// wrp-go v5's <c>StandardValidator</c> (<c>vador.go</c>, <c>mtValidatorMap</c>; SPEC.md §1): which fields each message
/// type requires, allows or forbids, and the checks on the fields that are present.
/// </summary>
/// <remarks>
/// <para>
/// The checks run in wrp-go's order and the first failure is reported: the message type, then source, dest,
/// transaction_uuid, content_type, accept, rdr, status, headers, metadata, path, payload, service_name, url,
/// partner_ids, session_id and qos. For each field: a required field that is empty fails <c>required</c>; an
/// unwanted field that is set fails <c>unwanted</c> (wrp-go's "unsupported fields set"); a string that is set must be
/// valid UTF-8 (<c>utf8</c>: the model holds invalid UTF-8 as lone surrogates, see <see cref="WrpMessage"/>), and so
/// must each header, partner id and metadata key and value; source and dest must parse as a <see cref="Locator"/>
/// (<c>locator</c>); service_name must not contain <c>/</c> (<c>slash</c>); qos must be 0..99 where it is allowed
/// (<c>range</c>) and 0 where it is not (<c>unwanted</c>). A type outside 2..11 fails <c>msg_type</c>.
/// </para>
/// <para>
/// "Empty" is Go's: an empty string, a null status/rdr, a null or zero-length list, map or payload, a zero qos.
/// Nothing checks transaction_uuid, path, url or content_type formats, or the payload's bytes.
/// </para>
/// <para>Validating a valid message allocates nothing.</para>
/// </remarks>
public static class WrpValidator
{
    /// <summary>Validates a message; throws <see cref="WrpValidationException"/> naming the field and rule.</summary>
    /// <param name="message">The message.</param>
    /// <exception cref="WrpValidationException">The message breaks a rule; the first one found is reported.</exception>
    public static void Validate(WrpMessage message)
    {
        if (!TryValidate(message, out var error))
        {
            throw error;
        }
    }

    /// <summary>
    /// Validates a message without throwing. Nothing is allocated when the message is valid; when it is not, the
    /// exception describing the first broken rule is returned (not thrown).
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="error">The first broken rule, when this returns <see langword="false"/>.</param>
    /// <returns>Whether the message is valid.</returns>
    public static bool TryValidate(WrpMessage message, [NotNullWhen(false)] out WrpValidationException? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        error = Check(message);
        return error is null;
    }

    /// <summary>Whether a message is valid, without saying why not. Allocates nothing when it is valid.</summary>
    /// <param name="message">The message.</param>
    /// <returns>Whether the message is valid.</returns>
    public static bool IsValid(WrpMessage message) => TryValidate(message, out _);

    private static WrpValidationException? Check(WrpMessage m)
    {
        if (m.Type is < MessageType.Authorization or > MessageType.Unknown)
        {
            return new WrpValidationException(
                "msg_type", "msg_type", $"msg_type: invalid message type {(long)m.Type} (valid types are 2..11)");
        }

        // A decoded message: the fields it has not created yet are checked on its bytes (WrpMessage.WireAt), which
        // gives the same answers without creating them; a field of a decoded message that is not on the wire is empty.
        var wire = m.HasWire;
        var at = m.WireAt;
        var rules = RulesFor(m.Type);
        return LocatorField(m, "source", m.Source, rules.Source)
            ?? LocatorField(m, "dest", m.Destination, rules.Destination)
            ?? StringField(m, "transaction_uuid", at.TransactionUuid, wire ? null : m.TransactionUuid, rules.TransactionUuid)
            ?? StringField(m, "content_type", at.ContentType, wire ? null : m.ContentType, rules.ContentType)
            ?? StringField(m, "accept", at.Accept, wire ? null : m.Accept, rules.Accept)
            ?? IntegerField(m, "rdr", m.RequestDeliveryResponse, rules.RequestDeliveryResponse)
            ?? IntegerField(m, "status", m.Status, rules.Status)
            ?? StringListField(m, "headers", at.Headers, (at.Ascii & WrpWireOffsets.AsciiHeaders) != 0, wire ? null : m.Headers, rules.Headers)
            ?? Metadata(m, at.Metadata, (at.Ascii & WrpWireOffsets.AsciiMetadata) != 0, rules.Metadata)
            ?? StringField(m, "path", at.Path, wire ? null : m.Path, rules.Path)
            ?? Payload(m, at.Payload, rules.Payload)
            ?? ServiceName(m, at.ServiceName, rules.ServiceName)
            ?? StringField(m, "url", at.Url, wire ? null : m.Url, rules.Url)
            ?? StringListField(m, "partner_ids", at.PartnerIds, (at.Ascii & WrpWireOffsets.AsciiPartnerIds) != 0, wire ? null : m.PartnerIds, rules.PartnerIds)
            ?? StringField(m, "session_id", at.SessionId, wire ? null : m.SessionId, rules.SessionId)
            ?? Qos(m, rules.QualityOfService);
    }

    private static WrpValidationException? Presence(WrpMessage m, string field, bool isSet, Modality modality) =>
        modality switch
        {
            Modality.Required when !isSet => new WrpValidationException(
                field, "required", $"{field}: is required in {m.Type} messages"),
            Modality.Unwanted when isSet => new WrpValidationException(
                field, "unwanted", $"{field}: unsupported fields set: {field} is not allowed in {m.Type} messages"),
            _ => null,
        };

    private static WrpValidationException? StringField(WrpMessage m, string field, string? value, Modality modality)
    {
        var isSet = !string.IsNullOrEmpty(value);
        return Presence(m, field, isSet, modality) ?? (isSet && HasLoneSurrogate(value) ? NotUtf8(field) : null);
    }

    /// <summary>A string field: on the wire at <paramref name="at"/> (so set), or <paramref name="value"/>.</summary>
    private static WrpValidationException? StringField(WrpMessage m, string field, int at, string? value, Modality modality)
    {
        if (at == 0)
        {
            return StringField(m, field, value, modality);
        }

        // A lone surrogate in the created string is exactly invalid UTF-8 in its bytes (WrpMsgPackUtf8's escapes).
        return Presence(m, field, true, modality) ?? (Utf8.IsValid(m.WireString(at)) ? null : NotUtf8(field));
    }

    private static WrpValidationException? LocatorField(WrpMessage m, string field, string? value, Modality modality)
    {
        var error = StringField(m, field, value, modality);
        if (error is not null || string.IsNullOrEmpty(value))
        {
            return error;
        }

        return Locator.IsParsable(value, out var reason)
            ? null
            : new WrpValidationException(field, "locator", $"{field}: {reason}");
    }

    private static WrpValidationException? IntegerField(WrpMessage m, string field, long? value, Modality modality) =>
        Presence(m, field, value.HasValue, modality);

    private static WrpValidationException? StringListField(
        WrpMessage m, string field, int at, bool isAscii, IReadOnlyList<string>? values, Modality modality)
    {
        if (isAscii)
        {
            return Presence(m, field, true, modality); // non-empty, and ASCII is valid UTF-8
        }

        if (at != 0)
        {
            var reader = m.WireReader(at);
            var wireCount = reader.ReadArrayHeader();
            var wireError = Presence(m, field, wireCount > 0, modality);
            if (wireError is not null)
            {
                return wireError;
            }

            for (var i = 0; i < wireCount; i++)
            {
                reader.TryReadStringSpan(out var utf8);
                if (!Utf8.IsValid(utf8))
                {
                    return NotUtf8(field);
                }
            }

            return null;
        }

        var count = values?.Count ?? 0;
        var error = Presence(m, field, count > 0, modality);
        if (error is not null)
        {
            return error;
        }

        for (var i = 0; i < count; i++)
        {
            if (HasLoneSurrogate(values![i]))
            {
                return NotUtf8(field);
            }
        }

        return null;
    }

    private static WrpValidationException? Metadata(WrpMessage m, int at, bool isAscii, Modality modality)
    {
        if (isAscii)
        {
            return Presence(m, "metadata", true, modality); // non-empty, and ASCII is valid UTF-8
        }

        if (at != 0)
        {
            var reader = m.WireReader(at);
            var count = reader.ReadMapHeader();
            var error = Presence(m, "metadata", count > 0, modality);
            if (error is not null)
            {
                return error;
            }

            var valid = true;
            for (var i = 0; i < count * 2 && valid; i++)
            {
                reader.TryReadStringSpan(out var utf8);
                valid = Utf8.IsValid(utf8);
            }

            // Invalid bytes: decide on the map itself, where a repeated key keeps only its last value.
            return valid ? null : Metadata(m, modality);
        }

        return m.HasWire ? Presence(m, "metadata", false, modality) : Metadata(m, modality);
    }

    private static WrpValidationException? Metadata(WrpMessage m, Modality modality)
    {
        var metadata = m.Metadata;
        var error = Presence(m, "metadata", metadata is { Count: > 0 }, modality);
        if (error is not null || metadata is null || metadata.Count == 0)
        {
            return error;
        }

        if (metadata is Dictionary<string, string> dictionary)
        {
            // The concrete type enumerates without boxing an enumerator.
            foreach (var (key, value) in dictionary)
            {
                if (HasLoneSurrogate(key) || HasLoneSurrogate(value))
                {
                    return NotUtf8("metadata");
                }
            }
        }
        else
        {
            foreach (var (key, value) in metadata)
            {
                if (HasLoneSurrogate(key) || HasLoneSurrogate(value))
                {
                    return NotUtf8("metadata");
                }
            }
        }

        return null;
    }

    private static WrpValidationException? Payload(WrpMessage m, int at, Modality modality)
    {
        bool isSet;
        if (at != 0)
        {
            isSet = !m.WireBytes(at).IsEmpty;
        }
        else
        {
            isSet = !m.HasWire && m.Payload is { Length: > 0 };
        }

        return Presence(m, "payload", isSet, modality);
    }

    private static WrpValidationException? ServiceName(WrpMessage m, int at, Modality modality)
    {
        if (at != 0)
        {
            return StringField(m, "service_name", at, null, modality)
                ?? (m.WireString(at).Contains((byte)'/') ? Slash() : null);
        }

        var name = m.HasWire ? null : m.ServiceName;
        return StringField(m, "service_name", name, modality)
            ?? (name is not null && name.Contains('/', StringComparison.Ordinal) ? Slash() : null);
    }

    private static WrpValidationException Slash() =>
        new("service_name", "slash", "service_name: service_name cannot contain '/'");

    private static WrpValidationException? Qos(WrpMessage m, Modality modality)
    {
        var qos = m.QualityOfService;
        if (modality == Modality.Unwanted)
        {
            return Presence(m, "qos", qos != 0, modality);
        }

        return qos is >= 0 and <= 99
            ? null
            : new WrpValidationException("qos", "range", $"qos: invalid QualityOfService {qos} (must be 0..99)");
    }

    private static WrpValidationException NotUtf8(string field) =>
        new(field, "utf8", $"{field}: field contains non-utf-8 characters");

    // SearchValues rather than IndexOfAnyInRange('\uD800', '\uDFFF'): on .NET 10.0 the char overload of the latter
    // allocates on every call.
    private static readonly SearchValues<char> Surrogates = SearchValues.Create(BuildSurrogates());

    private static string BuildSurrogates() => string.Create(0x800, 0, static (span, _) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (char)(0xD800 + i);
        }
    });

    /// <summary>Whether the string holds invalid UTF-16, which is how the model keeps invalid UTF-8.</summary>
    internal static bool HasLoneSurrogate(string? value)
    {
        var text = value.AsSpan();
        var index = text.IndexOfAny(Surrogates);
        while (index >= 0)
        {
            if (!char.IsHighSurrogate(text[index]) || index + 1 >= text.Length || !char.IsLowSurrogate(text[index + 1]))
            {
                return true;
            }

            text = text[(index + 2)..];
            index = text.IndexOfAny(Surrogates);
        }

        return false;
    }

    private static Rules RulesFor(MessageType type) => type switch
    {
        MessageType.Authorization => AuthorizationRules,
        MessageType.SimpleRequestResponse => RequestResponseRules,
        MessageType.SimpleEvent => EventRules,
        MessageType.Create or MessageType.Retrieve or MessageType.Update or MessageType.Delete => CrudRules,
        MessageType.ServiceRegistration => ServiceRegistrationRules,
        _ => NothingAllowed, // ServiceAlive and Unknown
    };

    private enum Modality
    {
        Unwanted,
        Optional,
        Required,
    }

    // The rows of wrp-go's mtValidatorMap; a field it does not list is unwanted.
    private static readonly Rules NothingAllowed = default;

    private static readonly Rules AuthorizationRules = new() { Status = Modality.Required };

    private static readonly Rules EventRules = new()
    {
        Source = Modality.Required,
        Destination = Modality.Required,
        TransactionUuid = Modality.Optional,
        ContentType = Modality.Optional,
        RequestDeliveryResponse = Modality.Optional,
        Headers = Modality.Optional,
        Metadata = Modality.Optional,
        Payload = Modality.Optional,
        PartnerIds = Modality.Optional,
        SessionId = Modality.Optional,
        QualityOfService = Modality.Optional,
    };

    private static readonly Rules RequestResponseRules = EventRules with
    {
        TransactionUuid = Modality.Required,
        Accept = Modality.Optional,
        Status = Modality.Optional,
    };

    private static readonly Rules CrudRules = RequestResponseRules with { Path = Modality.Optional };

    private static readonly Rules ServiceRegistrationRules = new()
    {
        ServiceName = Modality.Required,
        Url = Modality.Required,
    };

    private readonly record struct Rules
    {
        public Modality Source { get; init; }

        public Modality Destination { get; init; }

        public Modality TransactionUuid { get; init; }

        public Modality ContentType { get; init; }

        public Modality Accept { get; init; }

        public Modality RequestDeliveryResponse { get; init; }

        public Modality Status { get; init; }

        public Modality Headers { get; init; }

        public Modality Metadata { get; init; }

        public Modality Path { get; init; }

        public Modality Payload { get; init; }

        public Modality ServiceName { get; init; }

        public Modality Url { get; init; }

        public Modality PartnerIds { get; init; }

        public Modality SessionId { get; init; }

        public Modality QualityOfService { get; init; }
    }
}
