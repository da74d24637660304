using System.Diagnostics;

namespace Mimisbrunnr.Diagnostics;

/// <summary>The <c>Mimisbrunnr</c> activity source for traces.</summary>
internal static class MimisbrunnrActivitySource
{
    /// <summary>The source.</summary>
    public static ActivitySource Instance { get; } = new(MimisbrunnrTelemetry.ActivitySourceName);
}
