using System.Text.Json;
using System.Text.Json.Nodes;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>The validator against SPEC.md §1 and wrp-go's validate outcome for every shared vector.</summary>
public class WrpValidatorTests
{
    public static TheoryData<string> ValidatedVectors => VectorMessages.Names(
        e => e.GetProperty("message").ValueKind == JsonValueKind.Object
            && e.GetProperty("message").TryGetProperty("msg_type", out var type)
            && type.ValueKind == JsonValueKind.Number
            && e.GetProperty("wrp_go").TryGetProperty("validate", out _));

    [Theory]
    [MemberData(nameof(ValidatedVectors))]
    public void Outcome_matches_wrp_go(string name)
    {
        var entry = VectorMessages.Get(name);
        var expected = entry.GetProperty("wrp_go").GetProperty("validate").GetString()!;
        var message = ToMessage(entry.GetProperty("message"));

        var valid = WrpValidator.TryValidate(message, out var error);

        if (expected == "ok")
        {
            Assert.True(valid, error?.Message);
            return;
        }

        Assert.False(valid, $"wrp-go: {expected}");
        Assert.Equal(ExpectedRule(expected), error!.Rule);
        var reason = error.Rule switch
        {
            "unwanted" => "unsupported fields set",
            "utf8" => "field contains non-utf-8 characters",
            _ => LastLine(expected),
        };
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_messages_of_every_type_pass()
    {
        WrpMessage[] valid =
        [
            new() { Type = MessageType.Authorization, Status = 200 },
            new() { Type = MessageType.Authorization, Status = 0 },
            new() { Type = MessageType.SimpleRequestResponse, Source = "dns:a.example.com", Destination = "mac:112233445566/config", TransactionUuid = "t", Accept = "a", Status = 1, RequestDeliveryResponse = 0, QualityOfService = 99 },
            new() { Type = MessageType.SimpleEvent, Source = "self:", Destination = "event:device-status/mac:112233445566/online", Headers = ["h"], Metadata = new Dictionary<string, string> { ["k"] = "v" }, Payload = [0xFF, 0xFE], PartnerIds = ["p"], SessionId = "s", ContentType = "c", RequestDeliveryResponse = 1 },
            new() { Type = MessageType.Create, Source = "uuid:anything Goes!", Destination = "serial:1/svc/x", TransactionUuid = "t", Path = "/p" },
            new() { Type = MessageType.Retrieve, Source = "mac:11-22-33-44-55-66", Destination = "SELF:/svc", TransactionUuid = "t" },
            new() { Type = MessageType.Update, Source = "dns:x", Destination = "event:x", TransactionUuid = "t" },
            new() { Type = MessageType.Delete, Source = "dns:x", Destination = "event:x", TransactionUuid = "t", Status = 404, QualityOfService = 75 },
            new() { Type = MessageType.ServiceRegistration, ServiceName = "svc", Url = "tcp://127.0.0.1:6666" },
            new() { Type = MessageType.ServiceAlive },
            new() { Type = MessageType.Unknown },

            // Empty (non-null) lists, maps and payloads count as not set.
            new() { Type = MessageType.ServiceAlive, Headers = [], Metadata = new Dictionary<string, string>(), Payload = [], PartnerIds = [] },
        ];

        Assert.All(valid, m => Assert.True(WrpValidator.TryValidate(m, out var error), error?.Message));
        Assert.All(valid, WrpValidator.Validate);
        Assert.All(valid, m => Assert.True(WrpValidator.IsValid(m)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(12)]
    [InlineData(99)]
    [InlineData(-1)]
    public void Message_types_outside_2_to_11_are_rejected(long type) =>
        AssertRejected(new WrpMessage { Type = (MessageType)type, Source = "dns:x", Destination = "dns:y" }, "msg_type", "msg_type", "invalid message type");

    public static TheoryData<int> MissingRequiredFields => new(Enumerable.Range(0, MissingRequiredFieldsCases.Length));

    private static readonly (WrpMessage Message, string Field)[] MissingRequiredFieldsCases =
    [
        (new WrpMessage { Type = MessageType.Authorization }, "status"),
        (new WrpMessage { Type = MessageType.SimpleEvent, Destination = "event:x" }, "source"),
        (new WrpMessage { Type = MessageType.SimpleEvent, Source = "self:" }, "dest"),
        (new WrpMessage { Type = MessageType.SimpleRequestResponse, Source = "self:", Destination = "dns:x" }, "transaction_uuid"),
        (new WrpMessage { Type = MessageType.Delete, Source = "self:", Destination = "dns:x" }, "transaction_uuid"),
        (new WrpMessage { Type = MessageType.ServiceRegistration, Url = "http://x" }, "service_name"),
        (new WrpMessage { Type = MessageType.ServiceRegistration, ServiceName = "svc" }, "url"),
    ];

    [Theory]
    [MemberData(nameof(MissingRequiredFields))]
    public void Required_fields_must_be_set(int index) =>
        AssertRejected(MissingRequiredFieldsCases[index].Message, MissingRequiredFieldsCases[index].Field, "required", "is required");

    public static TheoryData<int> UnwantedFields => new(Enumerable.Range(0, UnwantedFieldsCases.Length));

    private static readonly (WrpMessage Message, string Field)[] UnwantedFieldsCases =
    [
        (new WrpMessage { Type = MessageType.SimpleEvent, Source = "self:", Destination = "event:x", Status = 200 }, "status"),
        (new WrpMessage { Type = MessageType.SimpleEvent, Source = "self:", Destination = "event:x", Accept = "a" }, "accept"),
        (new WrpMessage { Type = MessageType.SimpleEvent, Source = "self:", Destination = "event:x", Path = "/p" }, "path"),
        (new WrpMessage { Type = MessageType.SimpleRequestResponse, Source = "self:", Destination = "dns:x", TransactionUuid = "t", Path = "/p" }, "path"),
        (new WrpMessage { Type = MessageType.Create, Source = "self:", Destination = "dns:x", TransactionUuid = "t", ServiceName = "s" }, "service_name"),
        (new WrpMessage { Type = MessageType.Authorization, Status = 200, QualityOfService = 1 }, "qos"),
        (new WrpMessage { Type = MessageType.Authorization, Status = 200, Source = "dns:x" }, "source"),
        (new WrpMessage { Type = MessageType.ServiceRegistration, ServiceName = "s", Url = "u", Source = "dns:a.example.com" }, "source"),
        (new WrpMessage { Type = MessageType.ServiceRegistration, ServiceName = "s", Url = "u", QualityOfService = -1 }, "qos"),
        (new WrpMessage { Type = MessageType.ServiceAlive, Payload = [0] }, "payload"),
        (new WrpMessage { Type = MessageType.ServiceAlive, RequestDeliveryResponse = 0 }, "rdr"),
        (new WrpMessage { Type = MessageType.ServiceAlive, Headers = ["h"] }, "headers"),
        (new WrpMessage { Type = MessageType.ServiceAlive, Metadata = new Dictionary<string, string> { ["k"] = "v" } }, "metadata"),
        (new WrpMessage { Type = MessageType.ServiceAlive, PartnerIds = [""] }, "partner_ids"),
        (new WrpMessage { Type = MessageType.ServiceAlive, SessionId = "s" }, "session_id"),
        (new WrpMessage { Type = MessageType.ServiceAlive, Url = "u" }, "url"),
        (new WrpMessage { Type = MessageType.Unknown, ContentType = "c" }, "content_type"),
        (new WrpMessage { Type = MessageType.Unknown, TransactionUuid = "t" }, "transaction_uuid"),
        (new WrpMessage { Type = MessageType.Unknown, QualityOfService = 5 }, "qos"),
    ];

    [Theory]
    [MemberData(nameof(UnwantedFields))]
    public void Unwanted_fields_must_be_empty(int index) =>
        AssertRejected(UnwantedFieldsCases[index].Message, UnwantedFieldsCases[index].Field, "unwanted", "unsupported fields set");

    [Theory]
    [InlineData(100)]
    [InlineData(-1)]
    [InlineData(long.MaxValue)]
    public void Qos_must_be_0_to_99_where_allowed(long qos) =>
        AssertRejected(
            new WrpMessage { Type = MessageType.SimpleEvent, Source = "self:", Destination = "event:x", QualityOfService = qos },
            "qos",
            "range",
            "invalid QualityOfService");

    [Fact]
    public void Service_name_must_not_contain_a_slash() =>
        AssertRejected(
            new WrpMessage { Type = MessageType.ServiceRegistration, ServiceName = "invalid/service-name", Url = "http://example.com" },
            "service_name",
            "slash",
            "service_name cannot contain '/'");

    [Theory]
    [InlineData("invalid-source", "invalid locator: invalid device name: unknown or missing scheme")]
    [InlineData("mac:1122", "invalid locator: invalid device name: invalid MAC address length")]
    [InlineData("self:anything", "invalid locator")]
    [InlineData("dns:/x", "invalid locator: invalid device name: missing authority in device ID")]
    [InlineData(" ", "invalid locator: invalid device name: empty device ID")]
    public void Source_and_dest_must_be_locators(string locator, string reason)
    {
        var error = AssertRejected(new WrpMessage { Type = MessageType.SimpleEvent, Source = locator, Destination = "event:x" }, "source", "locator", reason);
        Assert.StartsWith("source: invalid locator", error.Message, StringComparison.Ordinal);
        AssertRejected(new WrpMessage { Type = MessageType.SimpleEvent, Source = "self:", Destination = locator }, "dest", "locator", reason);
    }

    public static TheoryData<int> InvalidUtf8 => new(Enumerable.Range(0, InvalidUtf8Cases.Length));

    private static readonly (WrpMessage Message, string Field)[] InvalidUtf8Cases =
    [
        (Event(tx: "\uDCBF"), "transaction_uuid"),
        (Event(source: "dns:a\uDCFF"), "source"),
        (Event(contentType: "text/\uD800plain"), "content_type"),
        (Event(headers: ["ok", "bad\uDC80"]), "headers"),
        (Event(metadata: new Dictionary<string, string> { ["\uDCC3"] = "v" }), "metadata"),
        (Event(metadata: new Dictionary<string, string> { ["k"] = "v\uDE00" }), "metadata"),
        (Event(metadata: new SortedDictionary<string, string> { ["k"] = "v", ["l"] = "\uDE00" }), "metadata"),
        (Event(partnerIds: ["\uD83D"]), "partner_ids"),
        (Event(sessionId: "x\uDCFFy"), "session_id"),
        (new WrpMessage { Type = MessageType.ServiceRegistration, ServiceName = "s", Url = "\uDC80" }, "url"),
        (new WrpMessage { Type = MessageType.Update, Source = "self:", Destination = "dns:x", TransactionUuid = "t", Path = "\uDC80" }, "path"),
        (new WrpMessage { Type = MessageType.Update, Source = "self:", Destination = "dns:x", TransactionUuid = "t", Accept = "\uDC80" }, "accept"),
    ];

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public void Strings_must_be_valid_utf8(int index) =>
        AssertRejected(InvalidUtf8Cases[index].Message, InvalidUtf8Cases[index].Field, "utf8", "field contains non-utf-8 characters");

    [Fact]
    public void Valid_non_ascii_and_payload_bytes_pass() =>
        WrpValidator.Validate(Event(tx: "😀 é ☃ \uFFFD", headers: ["\U0010FFFF"], payload: [0xFF, 0xC3, 0x28]));

    [Fact]
    public void The_first_failure_in_wrp_go_order_is_reported()
    {
        // source comes before status; status (unwanted in an event) before qos.
        AssertRejected(Event(source: "nope", status: 1, qos: 100), "source", "locator", "unknown or missing scheme");
        AssertRejected(Event(status: 1, qos: 100), "status", "unwanted", "unsupported");
        AssertRejected(Event(rdr: 1, accept: "x", qos: 100), "accept", "unwanted", "unsupported");

        // The UTF-8 check of a field comes before its locator check.
        AssertRejected(Event(source: "nope\uDC80"), "source", "utf8", "non-utf-8");

        // service_name: unwanted beats the slash rule.
        AssertRejected(Event(serviceName: "a/b"), "service_name", "unwanted", "unsupported");
    }

    [Fact]
    public void Validate_throws_what_try_validate_returns()
    {
        var message = Event(qos: 100);

        var thrown = Assert.Throws<WrpValidationException>(() => WrpValidator.Validate(message));
        Assert.False(WrpValidator.TryValidate(message, out var returned));
        Assert.Equal(returned.Message, thrown.Message);
        Assert.False(WrpValidator.IsValid(message));
    }

    [Fact]
    public void Validating_a_valid_message_allocates_nothing()
    {
        var message = new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = "MAC:11:22:33:44:55:66/service-name/ignored/12344",
            Destination = "event:device-status/foo",
            TransactionUuid = "60dfdf5b-98c5-4e91-95fd-1fa6cb114cf5",
            ContentType = "application/json",
            Headers = ["key1:value1", "key2:value2"],
            Metadata = new Dictionary<string, string> { ["/key/1"] = "value1", ["/key/2"] = "välue2 😀" },
            Payload = "{\"key\": \"hello world\"}"u8.ToArray(),
            PartnerIds = ["partner1", "partner2"],
            SessionId = "1234",
        };
        Assert.True(WrpValidator.TryValidate(message, out _));

        Assert.Equal(0, Allocations.SteadyState(() => WrpValidator.TryValidate(message, out _)));
    }

    private static WrpMessage Event(
        string source = "self:",
        string tx = "",
        string contentType = "",
        string accept = "",
        long? status = null,
        long? rdr = null,
        IReadOnlyList<string>? headers = null,
        IReadOnlyDictionary<string, string>? metadata = null,
        byte[]? payload = null,
        string serviceName = "",
        IReadOnlyList<string>? partnerIds = null,
        string sessionId = "",
        long qos = 0) => new()
        {
            Type = MessageType.SimpleEvent,
            Source = source,
            Destination = "event:x",
            TransactionUuid = tx,
            ContentType = contentType,
            Accept = accept,
            Status = status,
            RequestDeliveryResponse = rdr,
            Headers = headers,
            Metadata = metadata,
            Payload = payload,
            ServiceName = serviceName,
            PartnerIds = partnerIds,
            SessionId = sessionId,
            QualityOfService = qos,
        };

    private static WrpValidationException AssertRejected(WrpMessage message, string field, string rule, string reason)
    {
        Assert.False(WrpValidator.TryValidate(message, out var error));
        Assert.Equal(field, error.Field);
        Assert.Equal(rule, error.Rule);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        return error;
    }

    // wrp-go's reasons, mapped to the rule ids.
    private static string ExpectedRule(string wrpGoError) => wrpGoError switch
    {
        _ when wrpGoError.Contains("unsupported fields set", StringComparison.Ordinal) => "unwanted",
        _ when wrpGoError.Contains("invalid locator", StringComparison.Ordinal) => "locator",
        _ when wrpGoError.Contains("non-utf-8", StringComparison.Ordinal) => "utf8",
        _ when wrpGoError.Contains("invalid message type", StringComparison.Ordinal) => "msg_type",
        _ when wrpGoError.Contains("service_name cannot contain", StringComparison.Ordinal) => "slash",
        _ when wrpGoError.Contains("is required", StringComparison.Ordinal) => "required",
        _ when wrpGoError.Contains("invalid QualityOfService", StringComparison.Ordinal) => "range",
        _ => throw new InvalidOperationException("Unmapped wrp-go error: " + wrpGoError),
    };

    private static string LastLine(string wrpGoError) => wrpGoError.Split('\n')[^1].Replace("error: ", string.Empty, StringComparison.Ordinal);

    /// <summary>
    /// <see cref="VectorMessages.ToMessage"/>, except that a metadata value shown as <c>null</c> is read as "": in
    /// wrpc_test_11_encoded_form the bytes hold empty strings (<c>a0</c>) where the message object shows null.
    /// </summary>
    private static WrpMessage ToMessage(JsonElement message)
    {
        if (!message.TryGetProperty("metadata", out var metadata)
            || metadata.EnumerateObject().All(p => p.Value.ValueKind != JsonValueKind.Null))
        {
            return VectorMessages.ToMessage(message);
        }

        var node = JsonNode.Parse(message.GetRawText())!.AsObject();
        foreach (var (key, value) in node["metadata"]!.AsObject().ToList())
        {
            if (value is null)
            {
                node["metadata"]![key] = string.Empty;
            }
        }

        return VectorMessages.ToMessage(JsonDocument.Parse(node.ToJsonString()).RootElement);
    }
}
