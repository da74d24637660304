using System.Text.Json;
using System.Text.Json.Serialization;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Hosting;

/// <summary>Source-generated JSON for the delivery status routes and the dashboard data (camelCase, nulls omitted).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NornDeliveryAttempts))]
[JsonSerializable(typeof(DashboardData))]
internal sealed partial class OperabilityJsonContext : JsonSerializerContext;
