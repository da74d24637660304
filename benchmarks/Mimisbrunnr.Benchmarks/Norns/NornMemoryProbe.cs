using System.Globalization;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Benchmarks.Norns;

/// <summary>What <see cref="NornMemoryProbe.Run"/> measured.</summary>
/// <param name="Norns">How many norns were registered.</param>
/// <param name="Bytes">Managed heap growth after a full collection, registry kept alive.</param>
/// <param name="WithFilter">Whether every norn had a filter.</param>
public sealed record NornMemoryReport(int Norns, long Bytes, bool WithFilter)
{
    /// <summary>Bytes per registered idle norn.</summary>
    public double BytesPerNorn => (double)Bytes / Norns;
}

/// <summary>
/// Measures the managed memory one idle registered norn costs: the stored norn, its registry entry and the index
/// structures, over many norns (one per device), with <see cref="GC.GetTotalMemory(bool)"/> before and after.
/// Not a BenchmarkDotNet benchmark: it runs once, in process, and prints one line per case.
/// </summary>
public static class NornMemoryProbe
{
    /// <summary>The target from the issue: at most 1 KiB per idle norn.</summary>
    public const double TargetBytesPerNorn = 1024;

    /// <summary>Runs the probe without and with a filter on every norn and prints the results.</summary>
    /// <param name="count">How many norns (default 1,000,000).</param>
    /// <param name="output">Where to print (default the console).</param>
    /// <returns>The two measurements.</returns>
    public static IReadOnlyList<NornMemoryReport> Run(int count = 1_000_000, TextWriter? output = null)
    {
        output ??= Console.Out;
        var reports = new List<NornMemoryReport>(2);
        foreach (var withFilter in new[] { false, true })
        {
            var report = Measure(count, withFilter);
            reports.Add(report);
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"memory per idle norn ({(withFilter ? "with a filter" : "no filter")}, {count:N0} norns): {report.BytesPerNorn:F0} B " +
                $"(target <= {TargetBytesPerNorn:F0} B: {(report.BytesPerNorn <= TargetBytesPerNorn ? "met" : "NOT met")})"));
        }

        return reports;
    }

    /// <summary>Fills a fresh registry with <paramref name="count"/> norns (one per device) and measures the heap growth.</summary>
    /// <param name="count">How many norns.</param>
    /// <param name="withFilter">Give every norn a typical filter (one event regex, one metadata pair).</param>
    /// <returns>The measurement.</returns>
    public static NornMemoryReport Measure(int count, bool withFilter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        using var store = new InMemoryNornStore();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var registry = new NornRegistry();
        for (var i = 0; i < count; i++)
        {
            var filter = withFilter
                ? new NornFilter
                {
                    Events = [string.Create(CultureInfo.InvariantCulture, $"^device-status/.*/(online|offline)$")],
                    Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["/trust"] = "1000" },
                }
                : null;
            registry.Apply(BenchmarkNorns.Make(i, i, filter));
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        if (registry.Count != count)
        {
            throw new InvalidOperationException($"Expected {count} norns in the registry, found {registry.Count}.");
        }

        GC.KeepAlive(registry);
        return new NornMemoryReport(count, after - before, withFilter);
    }
}
