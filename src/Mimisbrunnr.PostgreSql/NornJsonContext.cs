using System.Text.Json.Serialization;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.PostgreSql;

/// <summary>The stored JSON document of a norn (source-generated, no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    IgnoreReadOnlyProperties = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Norn))]
[JsonSerializable(typeof(DateTimeOffset))]
internal sealed partial class NornJsonContext : JsonSerializerContext;
