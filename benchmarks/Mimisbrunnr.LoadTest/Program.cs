using System.Globalization;
using System.Runtime.InteropServices;

namespace Mimisbrunnr.LoadTest;

/// <summary>
/// The end-to-end load tool: <c>./benchmarks/run-e2e.sh [--rounds 3] [--scenario ingest|delivery|latency|scale|all]</c>
/// (see <see cref="Settings"/> for every option). <c>baseline ...</c> is the child-process mode of the baselines.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["baseline", .. var rest])
        {
            return await Baselines.RunAsync(rest);
        }

        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Settings.Usage);
            return 2;
        }

        if (settings.Help)
        {
            Console.WriteLine(Settings.Usage);
            return 0;
        }

        // Ctrl-C, SIGTERM, SIGHUP: stop measuring, then stop every child on the way out.
        using var cancel = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            Console.Error.WriteLine($"{context.Signal}: stopping the child processes.");
            cancel.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();

        try
        {
            using var context = new RunContext(settings.RepoRoot, settings.ServerDll);
            var report = new Report(settings, Console.Out);
            report.Begin();
            if (settings.Rounds < 3)
            {
                report.Note(string.Create(CultureInfo.InvariantCulture, $"only {settings.Rounds} round(s) per figure: a trial run, not a measurement (use at least 3)"));
            }

            await using var sink = await Sink.StartAsync(cancel.Token);
            report.Line($"sink: {sink.Url} (in this process); temporary files in {context.TempDirectory}");
            report.Note(string.Create(
                CultureInfo.InvariantCulture,
                $"events are {Events.Encode(Events.DeviceId(Events.Devices.Unfollowed, 0), 0, 0).Length} bytes of WRP msgpack; the product delivers them as WRP JSON, the forwarder as the msgpack received"));
            using var scenarios = new Scenarios(settings, context, sink, report);
            await scenarios.RunAsync(cancel.Token);
            report.End();
            return 0;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Cancelled.");
            return 130;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message);
            return 1;
        }
        finally
        {
            ChildProcess.KillAll();
        }
    }
}

/// <summary>The command line of a run.</summary>
internal sealed record Settings
{
    public const string Usage = """
        usage: run-e2e.sh [options]
          --scenario ingest|delivery|latency|scale|all   what to measure (default all)
          --rounds N              measured rounds per process, alternating (default 3, at least 3 for a report)
          --duration S            seconds measured per round (default 12)
          --warmup S              seconds of warm-up per process before the rounds (default 15: the sample server JIT-compiles for 10 s or more on a busy 2-core machine)
          --settle S              seconds per round before the built-in generators start counting (default 2)
          --generator auto|wrk|builtin   ingest load: wrk when installed (auto), or the built-in closed loop
          --connections N         generator connections (default 64)
          --threads N             wrk threads (default 2)
          --window N              delivery: events allowed between generator and sink (default 1024)
          --rate N                latency: events per second, open loop (default 1000)
          --norns N               norns of the ingest server (default 10000)
          --delivery-norns N      norns of the delivery and latency server (default 1000)
          --scale-norns N         norns of the scale probe's large server (default 1000000)
          --scale-files DIR       scale probe: keep its SQLite files in DIR and reuse them when present (same counts)
          --server-dll PATH       the sample server build to measure (default: samples/Mimisbrunnr.Server, Release)
          --markdown PATH         also write the report there (markdown)
          --repo PATH             the repository root (default: found from the tool's location)
        """;

    public string Scenario { get; init; } = "all";

    public int Rounds { get; init; } = 3;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(12);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(2);

    public string Generator { get; init; } = "auto";

    public int Connections { get; init; } = 64;

    public int Threads { get; init; } = 2;

    public int Window { get; init; } = 1024;

    public int Rate { get; init; } = 1000;

    public int IngestNorns { get; init; } = 10_000;

    public int DeliveryNorns { get; init; } = 1_000;

    public int ScaleNorns { get; init; } = 1_000_000;

    public int RegisterConcurrency { get; init; } = 16;

    public string? Markdown { get; init; }

    public string? ScaleFiles { get; init; }

    public string? ServerDll { get; init; }

    public string RepoRoot { get; init; } = FindRepoRoot();

    public bool Help { get; init; }

    /// <summary>The command as the user typed it (the script passes it in <c>E2E_COMMAND</c>).</summary>
    public string Command { get; init; } = Environment.GetEnvironmentVariable("E2E_COMMAND") ?? "dotnet Mimisbrunnr.LoadTest.dll";

    public bool UseWrk => Generator == "wrk" || (Generator == "auto" && Wrk.IsInstalled);

    public string GeneratorDescription => (UseWrk
        ? $"ingest: wrk, {Threads} threads, {Connections} connections"
        : $"ingest: built-in closed loop, {Connections} connections (wrk not {(Generator == "builtin" ? "used" : "installed")})")
        + string.Create(CultureInfo.InvariantCulture, $"; delivery: built-in, {Connections} connections, window {Window}; latency: built-in open loop at {Rate}/s");

    public static Settings Parse(string[] args)
    {
        var settings = new Settings();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                settings = settings with { Help = true };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new FormatException($"{name} needs a value.");
            }

            var value = args[++i];
            settings = name switch
            {
                "--scenario" when value is "ingest" or "delivery" or "latency" or "scale" or "all" => settings with { Scenario = value },
                "--rounds" => settings with { Rounds = Int(name, value, 1) },
                "--duration" => settings with { Duration = TimeSpan.FromSeconds(Int(name, value, 1)) },
                "--warmup" => settings with { Warmup = TimeSpan.FromSeconds(Int(name, value, 0)) },
                "--settle" => settings with { Settle = TimeSpan.FromSeconds(Int(name, value, 0)) },
                "--generator" when value is "auto" or "wrk" or "builtin" => settings with { Generator = value },
                "--connections" => settings with { Connections = Int(name, value, 1) },
                "--threads" => settings with { Threads = Int(name, value, 1) },
                "--window" => settings with { Window = Int(name, value, 1) },
                "--rate" => settings with { Rate = Int(name, value, 1) },
                "--norns" => settings with { IngestNorns = Int(name, value, 1) },
                "--delivery-norns" => settings with { DeliveryNorns = Int(name, value, 1) },
                "--scale-norns" => settings with { ScaleNorns = Int(name, value, 1) },
                "--markdown" => settings with { Markdown = Path.GetFullPath(value) },
                "--scale-files" => settings with { ScaleFiles = Path.GetFullPath(value) },
                "--server-dll" => settings with { ServerDll = Path.GetFullPath(value) },
                "--repo" => settings with { RepoRoot = Path.GetFullPath(value) },
                _ => throw new FormatException($"Unknown option or value: {name} {value}"),
            };
        }

        if (settings.Generator == "wrk" && !Wrk.IsInstalled)
        {
            throw new FormatException("--generator wrk: wrk is not installed.");
        }

        return settings;
    }

    private static int Int(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result) && result >= min
            ? result
            : throw new FormatException($"{name} needs a whole number of at least {min}, not '{value}'.");

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Mimisbrunnr.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
