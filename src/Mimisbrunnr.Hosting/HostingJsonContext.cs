using System.Text.Json;
using System.Text.Json.Serialization;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// Source-generated JSON for the API: camelCase out, case-insensitive in, unknown properties ignored, nulls omitted.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(NornRequest))]
[JsonSerializable(typeof(NornResponse))]
[JsonSerializable(typeof(List<NornResponse>))]
internal sealed partial class HostingJsonContext : JsonSerializerContext;
