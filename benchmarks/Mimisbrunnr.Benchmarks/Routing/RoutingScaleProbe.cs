using System.Diagnostics;
using System.Globalization;

namespace Mimisbrunnr.Benchmarks.Routing;

/// <summary>
/// The routing scale comparison of <see cref="RoutingLookupBenchmarks"/>, measured in one process with the registry
/// sizes in alternating rounds, so that the load of a shared machine falls on both sizes alike (BenchmarkDotNet runs
/// each size in its own process, minutes apart). Prints the median per lookup and per route.
/// </summary>
public static class RoutingScaleProbe
{
    /// <summary>Runs the comparison.</summary>
    /// <param name="output">Where to print (default the console).</param>
    /// <param name="rounds">Alternating rounds (the first five are warm-up).</param>
    public static void Run(TextWriter? output = null, int rounds = 25)
    {
        output ??= Console.Out;
        var cases = new List<(string Name, RoutingLookupBenchmarks Benchmark)>();
        foreach (var active in new[] { 16, 4096 })
        {
            foreach (var norns in new[] { 1_000, 1_000_000 })
            {
                var benchmark = new RoutingLookupBenchmarks { Norns = norns, ActiveDevices = active };
                benchmark.Setup();
                cases.Add((string.Create(CultureInfo.InvariantCulture, $"{norns} norns, {active} active devices"), benchmark));
            }
        }

        var lookups = cases.ToDictionary(c => c.Name, _ => new List<double>());
        var routes = cases.ToDictionary(c => c.Name, _ => new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, benchmark) in cases)
            {
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < 500; i++)
                {
                    benchmark.GetByDevice();
                }

                lookups[name].Add(watch.Elapsed.TotalNanoseconds / (500.0 * RoutingLookupBenchmarks.Probes));
                watch.Restart();
                for (var i = 0; i < 50; i++)
                {
                    benchmark.Route();
                }

                routes[name].Add(watch.Elapsed.TotalNanoseconds / (50.0 * RoutingLookupBenchmarks.Probes));
            }
        }

        foreach (var (name, _) in cases)
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{name}: GetByDevice median {Median(lookups[name]):F1} ns, Route median {Median(routes[name]):F1} ns"));
        }
    }

    private static double Median(List<double> samples)
    {
        var sorted = samples.Skip(5).Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
