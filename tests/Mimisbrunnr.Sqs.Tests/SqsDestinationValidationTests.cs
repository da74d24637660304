using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>The SQS package's registration rules (queue URL shapes, regions, delay, credentials), through the norn validator.</summary>
public sealed class SqsDestinationValidationTests
{
    private const string Queue = "https://sqs.us-east-1.amazonaws.com/123456789012/events";

    private static readonly NornRequest Valid = TestNorns.SqsRequest(TestNorns.Device, Queue, "AKIA", "s");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Each case breaks exactly one rule: the request, the field and the rule the error must name.</summary>
    public static readonly Dictionary<string, (NornRequest Request, string Field, string Rule)> Cases = new()
    {
        ["no queue url"] = (Sqs(new SqsDestinationRequest()), "destination.sqs.queueUrl", "required"),
        ["not a queue url"] = (Sqs(new SqsDestinationRequest { QueueUrl = "https://example.com/123456789012/q" }), "destination.sqs.queueUrl", "format"),
        ["not an sqs host"] = (Sqs(new SqsDestinationRequest { QueueUrl = "https://sqs-evil.us-east-1.amazonaws.com/123456789012/q" }), "destination.sqs.queueUrl", "format"),
        ["short account"] = (Sqs(new SqsDestinationRequest { QueueUrl = "https://sqs.us-east-1.amazonaws.com/12345/q" }), "destination.sqs.queueUrl", "format"),
        ["http queue url"] = (Sqs(new SqsDestinationRequest { QueueUrl = "http://sqs.us-east-1.amazonaws.com/123456789012/q" }), "destination.sqs.queueUrl", "format"),
        ["bad region"] = (Sqs(new SqsDestinationRequest { QueueUrl = Queue, Region = "Mars" }), "destination.sqs.region", "format"),
        ["region mismatch"] = (Sqs(new SqsDestinationRequest { QueueUrl = Queue, Region = "eu-west-1" }), "destination.sqs.region", "mismatch"),
        ["negative delay"] = (Sqs(new SqsDestinationRequest { QueueUrl = Queue, DelaySeconds = -1 }), "destination.sqs.delaySeconds", "range"),
        ["delay above 900"] = (Sqs(new SqsDestinationRequest { QueueUrl = Queue, DelaySeconds = 901 }), "destination.sqs.delaySeconds", "range"),
        ["key id alone"] = (Sqs(new SqsDestinationRequest { QueueUrl = Queue, AccessKeyId = "AKIA" }), "destination.sqs.secretAccessKey", "together"),
        ["secret key alone"] = (Sqs(new SqsDestinationRequest { QueueUrl = Queue, SecretAccessKey = "x" }), "destination.sqs.accessKeyId", "together"),
        ["token alone"] = (Sqs(new SqsDestinationRequest { QueueUrl = Queue, SessionToken = "t" }), "destination.sqs.sessionToken", "together"),
        ["long key id"] = (Sqs(new SqsDestinationRequest { QueueUrl = Queue, AccessKeyId = new string('k', 257), SecretAccessKey = "x" }), "destination.sqs.accessKeyId", "length"),
        ["long secret key"] = (Sqs(new SqsDestinationRequest { QueueUrl = Queue, AccessKeyId = "k", SecretAccessKey = new string('x', 257) }), "destination.sqs.secretAccessKey", "length"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Each_broken_rule_names_its_field_and_rule(string name)
    {
        var (request, field, rule) = Cases[name];

        var error = await Assert.ThrowsAsync<NornValidationException>(async () => await Validator().ValidateAsync(request, Ct));

        Assert.Equal((field, rule), (error.Field, error.Rule));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData("https://sqs.us-east-1.amazonaws.com/123456789012/events", "us-east-1")]
    [InlineData("https://sqs.eu-central-1.amazonaws.com/123456789012/orders.fifo", "eu-central-1")]
    [InlineData("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q_1-x", "cn-north-1")]
    [InlineData("https://ap-southeast-2.queue.amazonaws.com/123456789012/legacy", "ap-southeast-2")]
    [InlineData("https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/fips", "us-gov-west-1")]
    public async Task Sqs_queue_urls_are_accepted_and_the_region_derived(string queueUrl, string region)
    {
        var validated = await Validator().ValidateAsync(
            Sqs(new SqsDestinationRequest { QueueUrl = queueUrl, DelaySeconds = 900, AccessKeyId = "AKIA", SecretAccessKey = "s" }), Ct);

        var sqs = validated.Destination.Sqs!;
        Assert.Equal(region, sqs.Region);
        Assert.Equal(900, sqs.DelaySeconds);
        Assert.Equal(NornIdentity.Derive("mac:112233445566", queueUrl), validated.Id);
    }

    private static NornValidator Validator()
    {
        var engine = new MimisbrunnrOptions();
        return new NornValidator(
            new StaticOptionsMonitor<MimisbrunnrOptions>(engine), sqsRules: new SqsQueuePolicy(new StaticOptionsMonitor<SqsDestinationOptions>(new SqsDestinationOptions())));
    }

    private static NornRequest Sqs(SqsDestinationRequest sqs) => Valid with { Destination = new DestinationRequest { Sqs = sqs } };
}
