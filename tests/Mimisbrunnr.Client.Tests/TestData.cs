using System.Collections.Concurrent;
using System.Text;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Client.Tests;

internal static class TestData
{
    public const string NornSecret = "norn-secret";

    public static NornRequest Norn(
        string deviceId,
        Uri url,
        long ttl = 600,
        string? secret = NornSecret,
        string? contentType = null,
        Uri? failureUrl = null,
        NornFilter? filter = null) => new()
        {
            DeviceId = deviceId,
            Ttl = ttl,
            Destination = new DestinationRequest
            {
                Http = new HttpDestinationRequest
                {
                    Url = url.ToString(),
                    Secret = secret,
                    ContentType = contentType,
                    FailureUrl = failureUrl?.ToString(),
                },
            },
            Filter = filter,
        };

    /// <summary>A device id unique to one test, so tests sharing a server never see each other's norns.</summary>
    public static string Device(int n) => "mac:" + n.ToString("x12", System.Globalization.CultureInfo.InvariantCulture);

    public static WrpMessage Event(string device, string eventName = "online", string transaction = "txn-1", string contentType = "application/json", string? payload = null) => new()
    {
        Type = MessageType.SimpleEvent,
        Source = $"{device}/parodus",
        Destination = $"event:device-status/{device}/{eventName}",
        TransactionUuid = transaction,
        ContentType = contentType,
        Payload = Encoding.UTF8.GetBytes(payload ?? "{\"status\":\"" + eventName + "\"}"),
        Metadata = new Dictionary<string, string> { ["/boot-time"] = "1542834188" },
    };

    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("timed out waiting for " + what);
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>Records every request that passes (method, URI, Authorization) and counts them.</summary>
internal sealed class RecordingHandler : DelegatingHandler
{
    public ConcurrentQueue<(HttpMethod Method, Uri Uri, string? Authorization)> Requests { get; } = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue((request.Method, request.RequestUri!, request.Headers.Authorization?.ToString()));
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Adds a header to every request (for the test server's hooks).</summary>
internal sealed class HeaderHandler(string name, string value) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.TryAddWithoutValidation(name, value);
        return base.SendAsync(request, cancellationToken);
    }
}
