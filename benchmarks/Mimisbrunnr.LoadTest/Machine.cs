using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Mimisbrunnr.LoadTest;

/// <summary>
/// Facts about the machine, read from <c>lscpu</c> and <c>/proc</c>: CPU model and cores, load average, and how
/// much of the CPUs processes other than the tool's own used during a round (the noise on a shared machine).
/// </summary>
internal static class Machine
{
    /// <summary>Above this 1-minute load average before a round, the round is flagged as taken on a busy machine.</summary>
    public const double BusyLoadAverage = 1.5;

    /// <summary>The unit of the CPU times in <c>/proc</c> (USER_HZ, 100 on Linux).</summary>
    public const int ClockTicksPerSecond = 100;

    /// <summary>Clock ticks in seconds.</summary>
    public static double Seconds(long ticks) => ticks / (double)ClockTicksPerSecond;

    /// <summary>One line: CPU model, cores, OS, runtime.</summary>
    public static string Describe()
    {
        var model = "unknown CPU";
        var cpus = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        try
        {
            using var lscpu = Process.Start(new ProcessStartInfo("lscpu") { RedirectStandardOutput = true, UseShellExecute = false });
            if (lscpu is not null)
            {
                foreach (var line in lscpu.StandardOutput.ReadToEnd().Split('\n'))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon < 0)
                    {
                        continue;
                    }

                    var (key, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
                    if (key == "Model name")
                    {
                        model = value;
                    }
                    else if (key == "CPU(s)")
                    {
                        cpus = value;
                    }
                }

                lscpu.WaitForExit();
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No lscpu: keep the runtime's count.
        }

        return $"{model}, {cpus} CPUs (lscpu); {RuntimeInformation.OSDescription}; .NET {Environment.Version}";
    }

    /// <summary>The 1-, 5- and 15-minute load averages.</summary>
    public static (double One, double Five, double Fifteen) LoadAverage()
    {
        var parts = File.ReadAllText("/proc/loadavg").Split(' ');
        return (Parse(parts[0]), Parse(parts[1]), Parse(parts[2]));

        static double Parse(string value) => double.Parse(value, CultureInfo.InvariantCulture);
    }

    public static string FormatLoadAverage((double One, double Five, double Fifteen) load) =>
        string.Create(CultureInfo.InvariantCulture, $"{load.One:F2} {load.Five:F2} {load.Fifteen:F2}");

    /// <summary>
    /// User + system time of a process in clock ticks, from <c>/proc/&lt;pid&gt;/stat</c>; with
    /// <paramref name="includeChildren"/>, also that of its children that have exited and been waited for.
    /// </summary>
    public static long ProcessTicks(string pid, bool includeChildren)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");

        // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        var ticks = Field(14) + Field(15);
        return includeChildren ? ticks + Field(16) + Field(17) : ticks;
    }

    /// <summary>Busy and total CPU ticks of the whole machine (all CPUs), from <c>/proc/stat</c>.</summary>
    public static (long Busy, long Total) MachineTicks()
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var values = line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();

        // user nice system idle iowait irq softirq steal (guest time is already in user).
        var total = values.Take(8).Sum();
        var idle = values[3] + values[4];
        return (total - idle, total);
    }
}

/// <summary>
/// Measures, over one round, the share of the machine's CPU time that went to processes other than the tool and its
/// children (the subject or baseline under test, wrk): what the neighbours took while we measured.
/// </summary>
internal sealed class ForeignCpu
{
    private readonly Func<IEnumerable<ChildProcess>> _children;
    private long _busy;
    private long _total;
    private long _ours;

    private ForeignCpu(Func<IEnumerable<ChildProcess>> children) => _children = children;

    public static ForeignCpu Start(Func<IEnumerable<ChildProcess>> children)
    {
        var meter = new ForeignCpu(children);
        (meter._busy, meter._total) = Machine.MachineTicks();
        meter._ours = meter.OurTicks();
        return meter;
    }

    /// <summary>The foreign share of all CPUs since <see cref="Start"/>, 0..1.</summary>
    public double Stop()
    {
        var ours = OurTicks() - _ours;
        var (busy, total) = Machine.MachineTicks();
        var elapsed = total - _total;
        return elapsed <= 0 ? 0 : Math.Clamp((busy - _busy - ours) / (double)elapsed, 0, 1);
    }

    // The tool itself (with wrk, once waited for) and its live children.
    private long OurTicks() => Machine.ProcessTicks("self", includeChildren: true) + _children().Sum(c => c.CpuTicks());
}
