using System.Text;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Dispatch;

/// <summary>Builders for norns and events.</summary>
public static class TestData
{
    public const string Device = "mac:112233445566";

    public static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static Norn HttpNorn(
        string url,
        string? secret = null,
        string? failureUrl = null,
        string contentType = DeliveryContentTypes.Json,
        DateTimeOffset? expiresAt = null,
        string device = Device) => new()
        {
            Id = NornIdentity.Derive(device, url),
            DeviceId = device,
            Owner = "owner-of-the-test",
            Destination = new NornDestination
            {
                Http = new HttpDestination { Url = url, Secret = secret, FailureUrl = failureUrl, ContentType = contentType },
            },
            ExpiresAt = expiresAt ?? Start.AddDays(1),
            CreatedAt = Start,
            UpdatedAt = Start,
        };

    public static WrpMessage Message(int i, string device = Device, string contentType = "application/json") => new()
    {
        Type = MessageType.SimpleEvent,
        Source = device + "/parodus",
        Destination = $"event:device-status/{device}/online",
        TransactionUuid = $"tx-{i:D6}",
        ContentType = contentType,
        Metadata = new Dictionary<string, string> { ["/trust"] = "1000" },
        PartnerIds = ["comcast"],
        Payload = Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"),
    };

    public static RoutedEvent Event(int i, string device = Device, WrpMessage? message = null)
    {
        var wrp = message ?? Message(i, device);
        return new RoutedEvent(wrp, DeviceId.Parse(device), wrp.Destination["event:".Length..], Start);
    }

    public static int Number(RoutedEvent routedEvent) => int.Parse(routedEvent.Message.TransactionUuid["tx-".Length..], System.Globalization.CultureInfo.InvariantCulture);

    public static IOptionsMonitor<MimisbrunnrOptions> Monitor(MimisbrunnrOptions options) => new FixedOptionsMonitor(options);

    private sealed class FixedOptionsMonitor(MimisbrunnrOptions value) : IOptionsMonitor<MimisbrunnrOptions>
    {
        public MimisbrunnrOptions CurrentValue { get; } = value;

        public MimisbrunnrOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<MimisbrunnrOptions, string?> listener) => null;
    }
}

/// <summary>Waits for a condition without asserting on timing: polls until true or a generous timeout.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, Func<string> describe, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Timed out waiting: " + describe());
            }

            await Task.Delay(5);
        }
    }
}
