using System.Text.Json;
using System.Text.Json.Serialization;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Client;

/// <summary>
/// Source-generated JSON for the client: web defaults (camelCase, case-insensitive reading), nulls left out. The
/// norn models are Core's, shared with the server.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NornRequest))]
[JsonSerializable(typeof(NornResponse))]
[JsonSerializable(typeof(List<NornResponse>))]
[JsonSerializable(typeof(NornDeliveryAttempts))]
[JsonSerializable(typeof(ProblemDocument))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;

/// <summary>An RFC 7807 document as read from the wire.</summary>
internal sealed class ProblemDocument
{
    public string? Type { get; set; }

    public string? Title { get; set; }

    public int? Status { get; set; }

    public string? Detail { get; set; }

    public string? Instance { get; set; }

    public string? Field { get; set; }

    public string? Rule { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}
