namespace Mimisbrunnr.Diagnostics;

/// <summary>
/// The names a host needs to collect Mimisbrunnr's telemetry, for example <c>AddMeter(MimisbrunnrTelemetry.MeterName)</c>
/// and <c>AddSource(MimisbrunnrTelemetry.ActivitySourceName)</c> with OpenTelemetry. Drop reasons, the values of the
/// <c>reason</c> tag, are in <see cref="DropReasons"/>.
/// </summary>
public static class MimisbrunnrTelemetry
{
    /// <summary>The meter every Mimisbrunnr instrument belongs to.</summary>
    public const string MeterName = "Mimisbrunnr";

    /// <summary>The activity source of Mimisbrunnr's traces.</summary>
    public const string ActivitySourceName = "Mimisbrunnr";
}
