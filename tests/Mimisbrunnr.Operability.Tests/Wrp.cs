using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>Events, norn requests and signatures, as Caduceus and consumers send them.</summary>
internal static class Wrp
{
    public static WrpMessage Event(string device, string eventName = "online", string transaction = "txn-1") => new()
    {
        Type = MessageType.SimpleEvent,
        Source = $"{device}/parodus",
        Destination = $"event:device-status/{device}/{eventName}",
        TransactionUuid = transaction,
        ContentType = "application/json",
        Payload = Encoding.UTF8.GetBytes("{\"status\":\"" + eventName + "\"}"),
        Metadata = new Dictionary<string, string> { ["/boot-time"] = "1542834188" },
    };

    public static string Sign(string secret, byte[] body) =>
        "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>A signed <c>POST {path}</c> of a msgpack event (or of <paramref name="body"/>).</summary>
    public static HttpRequestMessage SignedPost(string path, string? secret, byte[] body, string contentType = "application/msgpack")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (secret is not null)
        {
            request.Headers.Add("X-Webpa-Signature", Sign(secret, body));
        }

        return request;
    }

    public static async Task PostEventAsync(HttpClient client, string secret, WrpMessage message)
    {
        using var request = SignedPost("events", secret, WrpMsgPack.Encode(message));
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
    }

    public static StringContent Norn(string deviceId, Uri url, int ttl = 3600, string? filterEvent = null)
    {
        var json = new JsonObject
        {
            ["deviceId"] = deviceId,
            ["ttl"] = ttl,
            ["destination"] = new JsonObject { ["http"] = new JsonObject { ["url"] = url.ToString(), ["secret"] = "norn-secret" } },
        };
        if (filterEvent is not null)
        {
            json["filter"] = new JsonObject { ["events"] = new JsonArray(filterEvent) };
        }

        return new StringContent(json.ToJsonString(), Encoding.UTF8, "application/json");
    }
}

/// <summary>Polls a condition without asserting on timing: until it holds, or fails after a generous timeout.</summary>
internal static class Eventually
{
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}; last seen: {value}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
