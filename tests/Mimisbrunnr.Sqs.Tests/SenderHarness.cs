using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>The SQS sender as AddSqsDestination wires it, with <see cref="FakeSqsClientFactory"/> in place of AWS.</summary>
internal sealed class SenderHarness : IAsyncDisposable
{
    public const string Device = "mac:112233445566";
    public const string ServiceUrl = "http://127.0.0.1:9";

    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow;

    private SenderHarness(ServiceProvider services, FakeSqsClientFactory factory)
    {
        Services = services;
        Factory = factory;
        Sender = services.GetServices<INornDestinationSender>().Single(s => s.Kind == DestinationKinds.Sqs);
    }

    public ServiceProvider Services { get; }

    public FakeSqsClientFactory Factory { get; }

    public INornDestinationSender Sender { get; }

    public FakeLogCollector Logs => Services.GetRequiredService<FakeLogCollector>();

    public static SenderHarness Create(Action<SqsDestinationOptions>? configure = null, Action<MimisbrunnrOptions>? engine = null)
    {
        var factory = new FakeSqsClientFactory();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug).AddFakeLogging());
        services.AddMimisbrunnr(options =>
            {
                options.Destinations.AllowPrivateNetworks = true;
                options.Delivery.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
                engine?.Invoke(options);
            })
            .AddSqsDestination(options =>
            {
                options.ServiceUrl = new Uri(ServiceUrl);
                configure?.Invoke(options);
            });
        services.Replace(ServiceDescriptor.Singleton<ISqsClientFactory>(factory));
        return new SenderHarness(services.BuildServiceProvider(), factory);
    }

    public static string QueueUrl(string name = "events") => $"{ServiceUrl}/000000000000/{name}";

    /// <summary>A registered SQS norn of <see cref="Device"/> (built by <see cref="TestNorns.Sqs"/>).</summary>
    public static RegisteredNorn Norn(
        string? queueUrl = null,
        bool credentials = true,
        int delaySeconds = 0,
        string? failureUrl = null,
        string? secret = null,
        string secretAccessKey = SqsEmulator.SecretAccessKey,
        string? sessionToken = null,
        string region = "us-east-1") =>
        new(TestNorns.Sqs(
            Device,
            new SqsDestination
            {
                QueueUrl = queueUrl ?? QueueUrl(),
                Region = region,
                DelaySeconds = delaySeconds,
                AccessKeyId = credentials ? SqsEmulator.AccessKeyId : null,
                SecretAccessKey = credentials ? secretAccessKey : null,
                SessionToken = sessionToken,
                FailureUrl = failureUrl,
                Secret = secret,
            },
            owner: "owner",
            now: Start));

    /// <summary>An event whose payload is <paramref name="payloadBytes"/> bytes (base64 in the JSON body).</summary>
    public static RoutedEvent Event(int sequence, int payloadBytes = 16, string transaction = "")
    {
        var payload = new byte[payloadBytes];
        Encoding.ASCII.GetBytes(sequence.ToString("D8", System.Globalization.CultureInfo.InvariantCulture)).CopyTo(payload, 0);
        var message = new WrpMessage
        {
            Type = MessageType.SimpleEvent,
            Source = Device + "/parodus",
            Destination = $"event:device-status/{Device}/online",
            TransactionUuid = string.IsNullOrEmpty(transaction) ? "txn-" + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) : transaction,
            ContentType = "application/octet-stream",
            Payload = payload,
        };
        return new RoutedEvent(message, DeviceId.Parse(Device), $"device-status/{Device}/online", DateTimeOffset.UtcNow);
    }

    public static List<RoutedEvent> Events(int count, int payloadBytes = 16) =>
        Enumerable.Range(0, count).Select(i => Event(i, payloadBytes)).ToList();

    public ValueTask<DeliveryOutcome> SendAsync(RegisteredNorn norn, IReadOnlyList<RoutedEvent> batch) =>
        Sender.SendAsync(norn.Norn, batch, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => Services.DisposeAsync();
}
