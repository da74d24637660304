using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mimisbrunnr.Hosting.Tests;

internal static class NornJson
{
    public static string Http(string deviceId, Uri url, int ttl = 3600, string? secret = "norn-secret", string? contentType = null, Uri? failureUrl = null)
    {
        var http = new JsonObject { ["url"] = url.ToString() };
        if (secret is not null)
        {
            http["secret"] = secret;
        }

        if (contentType is not null)
        {
            http["contentType"] = contentType;
        }

        if (failureUrl is not null)
        {
            http["failureUrl"] = failureUrl.ToString();
        }

        return new JsonObject
        {
            ["deviceId"] = deviceId,
            ["ttl"] = ttl,
            ["destination"] = new JsonObject { ["http"] = http },
        }.ToJsonString();
    }

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
