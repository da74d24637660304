using System.Text.Json.Serialization;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Argus;

/// <summary>
/// The norn document kept as an Argus item's <c>data</c>: the whole <see cref="Norn"/> record, source-generated, so
/// that a field added to <see cref="Norn"/> is kept without a change here.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    IgnoreReadOnlyProperties = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Norn))]
internal sealed partial class ArgusJsonContext : JsonSerializerContext;
