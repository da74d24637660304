using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mimisbrunnr.Client.Verification;

/// <summary>Source-generated JSON for what a consumer receives (cut-off notices); the same defaults as the API client.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CutOffMessageDocument))]
internal sealed partial class VerificationJsonContext : JsonSerializerContext;
