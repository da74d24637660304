using System.Text.Json.Serialization;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Sqlite;

/// <summary>The stored JSON document of a norn (source-generated, no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    IgnoreReadOnlyProperties = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Norn))]
internal sealed partial class NornJsonContext : JsonSerializerContext;
