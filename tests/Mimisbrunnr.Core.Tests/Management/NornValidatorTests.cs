using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Tests.Management;

public class NornValidatorTests
{
    private const string Queue = "https://sqs.us-east-1.amazonaws.com/123456789012/events";

    private static readonly NornRequest Valid = TestNorns.HttpRequest(TestNorns.Device, "https://consumer.example/hook");

    private static readonly NornRequest ValidSqs = Valid with
    {
        Destination = new DestinationRequest { Sqs = new SqsDestinationRequest { QueueUrl = Queue } },
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Each case breaks exactly one rule: the request, the field and the rule the error must name.</summary>
    public static readonly Dictionary<string, (NornRequest Request, string Field, string Rule)> Cases = new()
    {
        ["no device id"] = (Valid with { DeviceId = null }, "deviceId", "required"),
        ["blank device id"] = (Valid with { DeviceId = "  " }, "deviceId", "required"),
        ["bad device id"] = (Valid with { DeviceId = "mac:1234" }, "deviceId", "format"),
        ["unknown scheme"] = (Valid with { DeviceId = "imei:1234" }, "deviceId", "format"),
        ["long device id"] = (Valid with { DeviceId = "uuid:" + new string('a', 300) }, "deviceId", "length"),
        ["no ttl"] = (Valid with { Ttl = null }, "ttl", "required"),
        ["zero ttl"] = (Valid with { Ttl = 0 }, "ttl", "range"),
        ["negative ttl"] = (Valid with { Ttl = -5 }, "ttl", "range"),
        ["ttl above max"] = (Valid with { Ttl = 86_401 }, "ttl", "range"),
        ["no destination"] = (Valid with { Destination = null }, "destination", "required"),
        ["empty destination"] = (Valid with { Destination = new DestinationRequest() }, "destination", "exactlyOne"),
        ["both destinations"] = (Valid with
        {
            Destination = new DestinationRequest
            {
                Http = new HttpDestinationRequest { Url = "https://a.example/" },
                Sqs = new SqsDestinationRequest { QueueUrl = Queue },
            },
        }, "destination", "exactlyOne"),
        ["no url"] = (Http(new HttpDestinationRequest()), "destination.http.url", "required"),
        ["relative url"] = (Http(new HttpDestinationRequest { Url = "/hook" }), "destination.http.url", "format"),
        ["not a url"] = (Http(new HttpDestinationRequest { Url = "consumer.example" }), "destination.http.url", "format"),
        ["ftp url"] = (Http(new HttpDestinationRequest { Url = "ftp://consumer.example/hook" }), "destination.http.url", "scheme"),
        ["file url"] = (Http(new HttpDestinationRequest { Url = "file:///etc/passwd" }), "destination.http.url", "format"),
        ["user info"] = (Http(new HttpDestinationRequest { Url = "https://user:pw@consumer.example/" }), "destination.http.url", "userInfo"),
        ["long url"] = (Http(new HttpDestinationRequest { Url = "https://consumer.example/" + new string('a', 2100) }), "destination.http.url", "length"),
        ["bad failure url"] = (Http(new HttpDestinationRequest { Url = "https://a.example/", FailureUrl = "gopher://a.example/" }), "destination.http.failureUrl", "scheme"),
        ["failure url user info"] = (Http(new HttpDestinationRequest { Url = "https://a.example/", FailureUrl = "https://u@a.example/" }), "destination.http.failureUrl", "userInfo"),
        ["long secret"] = (Http(new HttpDestinationRequest { Url = "https://a.example/", Secret = new string('s', 257) }), "destination.http.secret", "length"),
        ["bad content type"] = (Http(new HttpDestinationRequest { Url = "https://a.example/", ContentType = "text/plain" }), "destination.http.contentType", "oneOf"),
        ["secret in stored form"] = (Http(new HttpDestinationRequest { Url = "https://a.example/", Secret = "mimi:v1:0011aabb:AAAA" }), "destination.http.secret", "reserved"),
        ["aws key in stored form"] = (Sqs(new SqsDestinationRequest { QueueUrl = Queue, AccessKeyId = "k", SecretAccessKey = "mimi:v1:x" }), "destination.sqs.secretAccessKey", "reserved"),
        ["eleven event regexes"] = (Valid with { Filter = new NornFilter { Events = [.. Enumerable.Repeat("a", 11)] } }, "filter.events", "count"),
        ["empty event regex"] = (Valid with { Filter = new NornFilter { Events = ["a", ""] } }, "filter.events[1]", "required"),
        ["long event regex"] = (Valid with { Filter = new NornFilter { Events = ["a", "b", new string('c', 257)] } }, "filter.events[2]", "length"),
        ["broken event regex"] = (Valid with { Filter = new NornFilter { Events = ["a", "b", "c", "(unclosed"] } }, "filter.events[3]", "regex"),
        ["lookahead event regex"] = (Valid with { Filter = new NornFilter { Events = ["(?=online)online"] } }, "filter.events[0]", "linearTime"),
        ["backreference event regex"] = (Valid with { Filter = new NornFilter { Events = ["a", "(on)\\1"] } }, "filter.events[1]", "linearTime"),
        ["atomic group event regex"] = (Valid with { Filter = new NornFilter { Events = ["(?>on)line"] } }, "filter.events[0]", "linearTime"),
        ["seventeen metadata pairs"] = (Valid with
        {
            Filter = new NornFilter { Metadata = Enumerable.Range(0, 17).ToDictionary(i => $"/k{i}", i => "v") },
        }, "filter.metadata", "count"),
        ["empty metadata key"] = (Valid with { Filter = new NornFilter { Metadata = new Dictionary<string, string> { [""] = "v" } } }, "filter.metadata", "required"),
        ["long metadata value"] = (Valid with
        {
            Filter = new NornFilter { Metadata = new Dictionary<string, string> { ["/trust"] = new string('v', 257) } },
        }, "filter.metadata[\"/trust\"]", "length"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Each_broken_rule_names_its_field_and_rule(string name)
    {
        var (request, field, rule) = Cases[name];

        var error = await Assert.ThrowsAsync<NornValidationException>(async () => await Validator().ValidateAsync(request, Ct));

        Assert.Equal(field, error.Field);
        Assert.Equal(rule, error.Rule);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public async Task The_ttl_message_says_the_value_and_the_maximum()
    {
        var error = await Assert.ThrowsAsync<NornValidationException>(
            async () => await Validator().ValidateAsync(Valid with { Ttl = 90_000 }, Ct));

        Assert.Equal("ttl 90000 exceeds the maximum of 86400 seconds.", error.Message);
    }

    [Fact]
    public async Task MaxTtl_comes_from_the_options()
    {
        var options = new MimisbrunnrOptions { MaxTtl = 60 };

        var error = await Assert.ThrowsAsync<NornValidationException>(
            async () => await Validator(options).ValidateAsync(Valid with { Ttl = 61 }, Ct));
        var ok = await Validator(options).ValidateAsync(Valid with { Ttl = 60 }, Ct);

        Assert.Equal("range", error.Rule);
        Assert.Equal(TimeSpan.FromSeconds(60), ok.Ttl);
    }

    [Fact]
    public async Task A_valid_request_is_canonicalised_with_defaults_and_the_derived_id()
    {
        var request = Valid with
        {
            DeviceId = " MAC:11:22:33:44:55:66/config ",
            Destination = new DestinationRequest
            {
                Http = new HttpDestinationRequest { Url = "https://consumer.example/hook", Secret = "", FailureUrl = "" },
            },
            Filter = new NornFilter { Events = [], Metadata = new Dictionary<string, string>() },
        };

        var validated = await Validator().ValidateAsync(request, Ct);

        Assert.Equal("mac:112233445566", validated.DeviceId.ToString());
        Assert.Equal(NornIdentity.Derive("mac:112233445566", "https://consumer.example/hook"), validated.Id);
        Assert.Equal(TimeSpan.FromHours(1), validated.Ttl);
        var http = validated.Destination.Http!;
        Assert.Equal(DeliveryContentTypes.Json, http.ContentType);
        Assert.Null(http.Secret);
        Assert.Null(http.FailureUrl);
        Assert.Null(validated.Filter);
        Assert.Null(validated.Destination.Sqs);
    }

    [Theory]
    [InlineData("APPLICATION/MSGPACK", DeliveryContentTypes.MsgPack)]
    [InlineData("payload", DeliveryContentTypes.Payload)]
    [InlineData("application/json", DeliveryContentTypes.Json)]
    public async Task Content_types_are_normalised(string given, string expected)
    {
        var validated = await Validator().ValidateAsync(
            Http(new HttpDestinationRequest { Url = "https://a.example/", ContentType = given }), Ct);

        Assert.Equal(expected, validated.Destination.Http!.ContentType);
    }

    [Fact]
    public async Task Https_only_refuses_http_urls()
    {
        var options = new MimisbrunnrOptions();
        options.Destinations.HttpsOnly = true;

        var error = await Assert.ThrowsAsync<NornValidationException>(async () => await Validator(options).ValidateAsync(
            Http(new HttpDestinationRequest { Url = "http://consumer.example/hook" }), Ct));
        var failure = await Assert.ThrowsAsync<NornValidationException>(async () => await Validator(options).ValidateAsync(
            Http(new HttpDestinationRequest { Url = "https://consumer.example/hook", FailureUrl = "http://consumer.example/f" }), Ct));

        Assert.Equal(("destination.http.url", "httpsOnly"), (error.Field, error.Rule));
        Assert.Equal(("destination.http.failureUrl", "httpsOnly"), (failure.Field, failure.Rule));
        Assert.Equal("http://consumer.example/hook", (await Validator().ValidateAsync(Http(new HttpDestinationRequest { Url = "http://consumer.example/hook" }), Ct)).Destination.Http!.Url);
    }

    [Fact]
    public async Task The_destination_guard_refusal_names_the_url_field_and_its_rule()
    {
        var guard = new FakeDestinationGuard { Refused = { "internal.example" } };
        var validator = new NornValidator(StaticOptionsMonitor.For(), guard);

        var url = await Assert.ThrowsAsync<NornValidationException>(async () => await validator.ValidateAsync(
            Http(new HttpDestinationRequest { Url = "https://internal.example/hook" }), Ct));
        var failureUrl = await Assert.ThrowsAsync<NornValidationException>(async () => await validator.ValidateAsync(
            Http(new HttpDestinationRequest { Url = "https://public.example/hook", FailureUrl = "https://internal.example/f" }), Ct));

        Assert.Equal(("destination.http.url", "network"), (url.Field, url.Rule));
        Assert.Equal(("destination.http.failureUrl", "network"), (failureUrl.Field, failureUrl.Rule));
        Assert.Contains("internal.example", failureUrl.Message, StringComparison.Ordinal);
        Assert.Contains(guard.Checked, u => u.Host == "public.example");
    }

    [Fact]
    public async Task The_guard_is_not_asked_about_sqs_queues()
    {
        var guard = new FakeDestinationGuard();

        await new NornValidator(StaticOptionsMonitor.For(), guard, new AwsOnlySqsRules()).ValidateAsync(ValidSqs, Ct);

        Assert.Empty(guard.Checked);
    }

    [Fact]
    public async Task A_host_without_sqs_delivery_refuses_sqs_destinations_by_name()
    {
        var validator = new NornValidator(StaticOptionsMonitor.For());

        var error = await Assert.ThrowsAsync<NornValidationException>(async () => await validator.ValidateAsync(ValidSqs, Ct));

        Assert.Equal(("destination.sqs", "notEnabled"), (error.Field, error.Rule));
        Assert.Contains("http destinations only", error.Message, StringComparison.Ordinal);
        Assert.Equal("https://consumer.example/hook", (await validator.ValidateAsync(Valid, Ct)).Destination.Http!.Url);
    }

    [Fact]
    public async Task A_filter_is_kept_as_validated_copies()
    {
        var events = new List<string> { "^device-status/.*/online$" };
        var validated = await Validator().ValidateAsync(
            Valid with { Filter = new NornFilter { Events = events, Metadata = new Dictionary<string, string> { ["/trust"] = "1000" } } },
            Ct);
        events.Add("later");

        Assert.Equal(["^device-status/.*/online$"], validated.Filter!.Events);
        Assert.Equal("1000", validated.Filter.Metadata!["/trust"]);
    }

    private static NornValidator Validator(MimisbrunnrOptions? options = null) =>
        new(StaticOptionsMonitor.For(options ?? new MimisbrunnrOptions()), sqsRules: new AwsOnlySqsRules());

    private static NornRequest Http(HttpDestinationRequest http) => Valid with { Destination = new DestinationRequest { Http = http } };

    private static NornRequest Sqs(SqsDestinationRequest sqs) => Valid with { Destination = new DestinationRequest { Sqs = sqs } };

    /// <summary>
    /// A host with SQS delivery whose rules accept every queue (the SQS package's own rules are tested there): what is
    /// left to the core validator is what every destination shares, the failure URL and the secrets' stored form.
    /// </summary>
    private sealed class AwsOnlySqsRules : ISqsDestinationRules
    {
        public SqsDestination Validate(SqsDestinationRequest request) => new()
        {
            QueueUrl = request.QueueUrl!,
            Region = request.Region ?? "us-east-1",
            DelaySeconds = request.DelaySeconds ?? 0,
            AccessKeyId = request.AccessKeyId,
            SecretAccessKey = request.SecretAccessKey,
            SessionToken = request.SessionToken,
        };
    }
}
