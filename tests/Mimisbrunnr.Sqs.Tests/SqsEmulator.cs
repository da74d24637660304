using System.Net.Http.Json;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>
/// The SQS emulator (fauxqs) started by tools/start-fauxqs.sh: its URL from <c>MIMISBRUNNR_SQS_SERVICE_URL</c>, queue
/// creation and reading. Queue URLs are built under the endpoint the host sends to (the emulator, or a
/// <see cref="SqsFaultProxy"/> in front of it): fauxqs finds a queue by its name (and the region of an AWS-style host).
/// </summary>
internal sealed class SqsEmulator : IDisposable
{
    public const string Account = "000000000000";
    public const string Region = "us-east-1";
    public const string AccessKeyId = "AKIDTESTNORN";
    public const string SecretAccessKey = "norn-secret-access-key-do-not-log";

    private static int _queueCounter;
    private readonly AmazonSQSClient _client;
    private readonly HttpClient _http;

    private SqsEmulator(Uri serviceUrl)
    {
        ServiceUrl = serviceUrl;
        _client = new AmazonSQSClient(
            new BasicAWSCredentials("AKIDTESTADMIN", "admin-secret"),
            new AmazonSQSConfig { ServiceURL = serviceUrl.ToString(), AuthenticationRegion = Region, IgnoreConfiguredEndpointUrls = true });
        _http = new HttpClient { BaseAddress = serviceUrl };
    }

    public Uri ServiceUrl { get; }

    public IAmazonSQS Client => _client;

    /// <summary>The emulator, or skip (locally) / fail (test.sh) when it is not configured.</summary>
    public static SqsEmulator Require()
    {
        // Never let the SDK's default credential chain reach for an instance metadata endpoint in a test.
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        var url = Environment.GetEnvironmentVariable("MIMISBRUNNR_SQS_SERVICE_URL");
        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out var serviceUrl) || !serviceUrl.IsLoopback)
        {
            Integration.Unavailable("SQS emulator not configured (MIMISBRUNNR_SQS_SERVICE_URL)");
            throw new InvalidOperationException("unreachable");
        }

        return new SqsEmulator(serviceUrl);
    }

    /// <summary>A unique queue name for one test.</summary>
    public static string UniqueName(string prefix, bool fifo = false) =>
        $"{prefix}-{Environment.ProcessId}-{Interlocked.Increment(ref _queueCounter)}-{Guid.NewGuid().ToString("N")[..8]}" + (fifo ? ".fifo" : string.Empty);

    /// <summary>The URL of a queue under an endpoint: <c>{endpoint}/000000000000/{name}</c>.</summary>
    public static string QueueUrl(Uri endpoint, string name) => $"{endpoint.ToString().TrimEnd('/')}/{Account}/{name}";

    /// <summary>Creates a queue; returns its URL under <paramref name="endpoint"/> (default: the emulator).</summary>
    public async Task<string> CreateQueueAsync(string name, Uri? endpoint = null, Dictionary<string, string>? attributes = null)
    {
        await _client.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes }, TestContext.Current.CancellationToken);
        return QueueUrl(endpoint ?? ServiceUrl, name);
    }

    /// <summary>Receives (and deletes) messages until <paramref name="count"/> arrived or the time is up.</summary>
    public async Task<List<Message>> ReceiveAsync(string queueName, int count, TimeSpan? timeout = null)
    {
        var url = QueueUrl(ServiceUrl, queueName);
        var received = new List<Message>(count);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (received.Count < count && DateTime.UtcNow < deadline)
        {
            var response = await _client.ReceiveMessageAsync(
                new ReceiveMessageRequest
                {
                    QueueUrl = url,
                    MaxNumberOfMessages = 10,
                    WaitTimeSeconds = 1,
                    MessageAttributeNames = ["All"],
                    MessageSystemAttributeNames = ["All"],
                },
                TestContext.Current.CancellationToken);
            if (response.Messages is not { Count: > 0 } messages)
            {
                continue;
            }

            received.AddRange(messages);
            await _client.DeleteMessageBatchAsync(
                new DeleteMessageBatchRequest
                {
                    QueueUrl = url,
                    Entries = messages.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList(),
                },
                TestContext.Current.CancellationToken);
        }

        return received;
    }

    /// <summary>fauxqs's inspection endpoint: ready, delayed and in-flight message counts of a queue.</summary>
    public async Task<(int Ready, int Delayed, int Inflight)> InspectAsync(string queueName)
    {
        using var document = await _http.GetFromJsonAsync<JsonDocument>($"_fauxqs/queues/{queueName}", TestContext.Current.CancellationToken);
        var messages = document!.RootElement.GetProperty("messages");
        return (messages.GetProperty("ready").GetArrayLength(), messages.GetProperty("delayed").GetArrayLength(), messages.GetProperty("inflight").GetArrayLength());
    }

    public void Dispose()
    {
        _client.Dispose();
        _http.Dispose();
    }
}
