using System.Globalization;
using System.Text;

namespace Mimisbrunnr.LoadTest;

/// <summary>One measured round of one process under test.</summary>
/// <param name="Number">The round, from 1.</param>
/// <param name="Target">What was measured (the product or a baseline).</param>
/// <param name="Value">The figure.</param>
/// <param name="LoadBefore">The 1-minute load average just before the round.</param>
/// <param name="ForeignCpu">The share of all CPUs other processes used during the round.</param>
/// <param name="Detail">Anything else worth showing (failed requests, lost events).</param>
/// <param name="PerCpuSecond">The figure per CPU-second of the process under test (throughput rounds), else NaN.</param>
internal sealed record Round(int Number, string Target, double Value, double LoadBefore, double ForeignCpu, string Detail, double PerCpuSecond);

/// <summary>What one round of a scenario returns: its figure, details, and the figure per CPU-second if it has one.</summary>
internal sealed record Measured(double Value, string Detail, double PerCpuSecond = double.NaN);

/// <summary>A figure of the product against the same figure of its baseline, each the median of its rounds.</summary>
internal sealed record Comparison(
    string What,
    string Unit,
    string Format,
    IReadOnlyList<Round> Subject,
    IReadOnlyList<Round> Baseline,
    bool HigherIsBetter,
    double? TargetRatio,
    bool ListRounds = true)
{
    public double SubjectMedian => Statistics.Median(Subject.Select(r => r.Value));

    public double BaselineMedian => Statistics.Median(Baseline.Select(r => r.Value));

    /// <summary>Median of the product over median of the baseline.</summary>
    public double Ratio => SubjectMedian / BaselineMedian;

    /// <summary>The lowest and highest ratio of one round of the product to the baseline round right after it.</summary>
    public string RoundRatios
    {
        get
        {
            var ratios = Subject.Zip(Baseline, (s, b) => s.Value / b.Value).ToList();
            return ratios.Count == 0 ? "—" : string.Create(CultureInfo.InvariantCulture, $"{ratios.Min():0.00}–{ratios.Max():0.00}");
        }
    }

    public string TargetText => TargetRatio is { } t
        ? string.Create(CultureInfo.InvariantCulture, $"{(HigherIsBetter ? "≥" : "≤")} {t:0.0#}x")
        : "—";

    public string Verdict => TargetRatio is not { } t ? string.Empty
        : (HigherIsBetter ? Ratio >= t : Ratio <= t) ? "met" : "not met";
}

/// <summary>A figure with an absolute target (the scale probe).</summary>
internal sealed record Measurement(string What, string Value, string Target, string Verdict);

/// <summary>Medians.</summary>
internal static class Statistics
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>
/// Collects the figures of a run and prints them: progress and a table on stdout, and the same as a markdown file
/// (machine, load average, rounds, date, command, settings, each round).
/// </summary>
internal sealed class Report(Settings settings, TextWriter output)
{
    private readonly List<Comparison> _comparisons = [];
    private readonly List<Measurement> _measurements = [];
    private readonly List<string> _notes = [];
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private string _machine = string.Empty;
    private string _loadBefore = string.Empty;
    private string _loadAfter = string.Empty;

    public TextWriter Output => output;

    public void Begin()
    {
        _machine = Machine.Describe();
        _loadBefore = Machine.FormatLoadAverage(Machine.LoadAverage());
        Line($"Machine: {_machine}");
        Line($"Load average before: {_loadBefore}");
        Line($"Generator: {settings.GeneratorDescription}; {settings.Rounds} rounds of {settings.Duration.TotalSeconds:0} s per process, alternating");
    }

    public void Line(string text) => output.WriteLine(text);

    public void Note(string text)
    {
        _notes.Add(text);
        Line("note: " + text);
    }

    public void Add(Comparison comparison) => _comparisons.Add(comparison);

    public void Add(Measurement measurement)
    {
        _measurements.Add(measurement);
        Line($"{measurement.What}: {measurement.Value} (target {measurement.Target}) {measurement.Verdict}");
    }

    public void End()
    {
        _loadAfter = Machine.FormatLoadAverage(Machine.LoadAverage());
        Line(string.Empty);
        Line($"Load average after: {_loadAfter}");
        Line(string.Empty);
        foreach (var line in Table())
        {
            Line(line);
        }

        if (settings.Markdown is { } path)
        {
            // Hand-written notes after the marker survive a new run.
            var kept = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
            var at = kept.IndexOf(KeepMarker, StringComparison.Ordinal);
            File.WriteAllText(path, Markdown() + (at >= 0 ? Environment.NewLine + kept[at..] : string.Empty));
            Line(string.Empty);
            Line($"Written to {path}");
        }
    }

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private IEnumerable<string> Table()
    {
        if (_comparisons.Count > 0)
        {
            yield return "| what | Mimisbrunnr (median) | baseline (median) | ratio | per-round ratios | target | rounds |";
            yield return "|---|---:|---:|---:|---:|---|---:|";
            foreach (var c in _comparisons)
            {
                yield return string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {c.What} | {Format(c.SubjectMedian, c.Format)} {c.Unit} | {Format(c.BaselineMedian, c.Format)} {c.Unit} | **{c.Ratio:0.00}x** | {c.RoundRatios} | {c.TargetText} {c.Verdict} | {c.Subject.Count}+{c.Baseline.Count} |");
            }
        }

        if (_measurements.Count > 0)
        {
            yield return string.Empty;
            yield return "| scale probe | value | target |";
            yield return "|---|---:|---|";
            foreach (var m in _measurements)
            {
                yield return $"| {m.What} | {m.Value} | {m.Target} {m.Verdict} |";
            }
        }
    }

    private string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# End-to-end load: the sample server against bare Kestrel baselines");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Generated by `benchmarks/Mimisbrunnr.LoadTest` on {_started:yyyy-MM-dd HH:mm} UTC, command:");
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine(settings.Command);
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine("## Machine and conditions");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- {_machine}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- load average (1, 5, 15 min) before the run: {_loadBefore}; after: {_loadAfter}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- load generator: {settings.GeneratorDescription}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- {settings.Rounds} rounds per figure, product and baseline alternating (product first), {settings.Duration.TotalSeconds:0} s measured per round after {settings.Settle.TotalSeconds:0} s of settling for the built-in generators; each process warmed up for {settings.Warmup.TotalSeconds:0} s first");
        md.AppendLine("- each figure is the median of its rounds; a ratio is the product's median over the baseline's median (per-round ratios: each product round over the baseline round right after it)");
        md.AppendLine();
        md.AppendLine("## Results");
        md.AppendLine();
        foreach (var line in Table())
        {
            md.AppendLine(line);
        }

        md.AppendLine();
        md.AppendLine("## How it is measured");
        md.AppendLine();
        md.AppendLine(Method);
        if (_notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Notes from this run");
            md.AppendLine();
            foreach (var note in _notes)
            {
                md.AppendLine("- " + note);
            }
        }

        md.AppendLine();
        md.AppendLine("## Rounds");
        md.AppendLine();
        md.AppendLine("Per CPU-second is the figure divided by the CPU the process under test used meanwhile (`/proc/<pid>/stat`). Load is the 1-minute load average just before the round (it includes the tool's own previous round); others is the share of all CPUs that processes other than the tool, the process under test and wrk used during the round.");
        md.AppendLine();
        md.AppendLine("| figure | round | process | value | per CPU-second | load | others | detail |");
        md.AppendLine("|---|---:|---|---:|---:|---:|---:|---|");
        foreach (var c in _comparisons.Where(c => c.ListRounds))
        {
            foreach (var r in c.Subject.Concat(c.Baseline).OrderBy(r => r.Number))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {c.What} | {r.Number} | {r.Target} | {Format(r.Value, c.Format)} {c.Unit} | {(double.IsNaN(r.PerCpuSecond) ? "—" : Format(r.PerCpuSecond, "N0"))} | {r.LoadBefore:F2} | {r.ForeignCpu:P0} | {r.Detail} |");
            }
        }

        return md.ToString();
    }

    /// <summary>Everything from this line on in an existing report file is kept when the file is written again.</summary>
    private const string KeepMarker = "<!-- Hand-written notes below this line are kept when the tool writes this file again. -->";

    private const string Method = """
        Every process runs on 127.0.0.1 on the one machine. The sample server (`samples/Mimisbrunnr.Server`, Release) is
        a child process configured only through its documented keys: a fresh SQLite file, `Mimisbrunnr:Events:Secret`,
        `Mimisbrunnr:Destinations:AllowPrivateNetworks true`, a Basic user, raised `Mimisbrunnr:Quotas:MaxNornsPerOwner`,
        `Mimisbrunnr:SecretKeys:0`, Warning logs. Its norns are registered through `POST /norns` (16 at a time), one per
        device, each delivering WRP JSON signed with a secret. The baselines are child processes too (the tool started
        with `baseline`, same runtime, web host defaults and server GC):

        - ingest baseline: `POST /events` on Kestrel reads the body, checks `X-Webpa-Signature: sha1=<hex>`, answers 202;
        - forwarder baseline: the same, then the body into a bounded channel; 64 senders on one `HttpClient` POST the
          bytes as received to the sink, each signed with HMAC-SHA1 (no decoding, no routing, no retries).

        The sink and the built-in generators run inside the tool's process, so the product and its baseline meet the very
        same sink and generator. The sink verifies nothing: it reads the body, counts it and notes its arrival time.

        Events are WRP msgpack (msg_type 4), `source` `mac:<12 hex>/service`, `dest`
        `event:device-status/mac:<12 hex>/online`, a small JSON payload and two metadata pairs (size in the notes),
        signed with the events secret. Their `transaction_uuid` carries the send time (`e2e-<16 hex>-<n>`),
        which both the product's WRP JSON and the forwarder's msgpack deliver verbatim.

        - Ingest: events of devices without norns, while the server holds 10,000 norns. wrk (2 threads, 64 connections,
          a Lua script rotating over 1,024 prepared signed events) when installed, else the built-in closed loop
          (64 workers on 64 keep-alive connections). Figure: requests answered 202 per second.
        - Delivery: events spread at random over the devices of 1,000 norns. The loop is closed at the sink: 64
          workers post events, but at most a window of 1,024 events may be between the generator and the sink; a
          delivery gives its credit back. So both processes run at the rate they can sustain end to end (nothing
          piles up in the product's norn buffers or the forwarder's channel, nothing is cut off), and ingest, decoding,
          routing and delivery all share the 2 cores as they would in production. Figure: deliveries per second at the
          sink. After each round the pipeline drains before the next one starts.
        - Latency: open loop at a fixed rate (1,000 events/s) over the devices of the same 1,000 norns. Event i is due
          at start + i/rate and carries that intended time; latency is the sink's arrival time minus it (one process,
          one monotonic clock: `Stopwatch.GetTimestamp`), so a late send counts against the process under test
          (no coordinated omission). Percentiles are nearest-rank over every event of the measured part of a round.
        - Scale probe: two SQLite files filled in process through `SqliteNornStore.UpsertAsync` (no quotas), one with
          10,000 and one with the large number of norns (https destinations, 32-character plain-text secrets), each
          served by its own sample server. Start-up: from process start until the log line "Norn index loaded", and
          until `/health` first answers 200; RSS from `/proc/<pid>/status`. Ingest as above, alternating the two
          servers.
        """;
}
