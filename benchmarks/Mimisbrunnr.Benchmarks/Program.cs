using System.Globalization;
using BenchmarkDotNet.Running;
using Mimisbrunnr.Benchmarks.Dispatch;
using Mimisbrunnr.Benchmarks.Norns;
using Mimisbrunnr.Benchmarks.Routing;

namespace Mimisbrunnr.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/Mimisbrunnr.Benchmarks -- --filter '*'</c>, or one of the
/// probes that are not BenchmarkDotNet suites: <c>--memory-per-norn [count]</c> (managed memory per idle registered
/// norn), <c>--memory-per-norn-dispatch [count]</c> (what the delivery side adds per active and per idle norn) and
/// <c>--routing-scale</c> (routing cost at 1,000 vs 1,000,000 norns, alternating in one process).
/// </summary>
public static class Program
{
    /// <summary>Runs the benchmarks or the probe the arguments select.</summary>
    public static void Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["--memory-per-norn", ..])
        {
            NornMemoryProbe.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000, Console.Out);
            return;
        }

        if (args is ["--memory-per-norn-dispatch", ..])
        {
            DispatchMemoryProbe.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000, Console.Out);
            return;
        }

        if (args is ["--routing-scale", ..])
        {
            RoutingScaleProbe.Run(Console.Out);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
