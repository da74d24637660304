using System.Globalization;

namespace Mimisbrunnr.LoadTest;

/// <summary>
/// The scenarios: each starts the processes it needs (the sample server, its baseline), prepares events, warms both
/// up, then measures them in alternating rounds and adds the figures to the report. Every process a scenario starts
/// is stopped when it ends, whether it succeeds or not.
/// </summary>
internal sealed class Scenarios(Settings settings, RunContext context, Sink sink, Report report) : IDisposable
{
    /// <summary>Events posted to the ingest endpoints rotate over this many prepared bodies.</summary>
    private const int IngestBodies = 1024;

    /// <summary>Delivery events rotate over this many prepared bodies per norn device.</summary>
    private const int DeliveryBodiesPerDevice = 4;

    private const string Product = "Mimisbrunnr";

    private readonly List<ChildProcess> _live = [];

    /// <summary>The built-in generators' connections (a pool per process under test).</summary>
    private readonly EventPoster _poster = new(settings.Connections);

    public void Dispose() => _poster.Dispose();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var all = settings.Scenario == "all";
        if (all || settings.Scenario == "ingest")
        {
            await IngestAsync(cancellationToken);
        }

        if (all || settings.Scenario is "delivery" or "latency")
        {
            await DeliveryAndLatencyAsync(all || settings.Scenario == "delivery", all || settings.Scenario == "latency", cancellationToken);
        }

        if (all || settings.Scenario == "scale")
        {
            await ScaleAsync(cancellationToken);
        }
    }

    /// <summary><c>/events</c> ingest, 10,000 norns, events of devices without norns, against the bare ingest endpoint.</summary>
    private async Task IngestAsync(CancellationToken cancellationToken)
    {
        Section("ingest");
        await using var server = await StartServerAsync("server-ingest", null, cancellationToken);
        await RegisterAsync(server, Events.Devices.IngestNorns, settings.IngestNorns, cancellationToken);
        var (baseline, baselineUrl) = await StartBaselineAsync(Baselines.Ingest, null, cancellationToken);
        await using (baseline)
        {
            var ingest = IngestGenerator("ingest");
            var (subject, bare) = await AlternateAsync(
                (Product, ct => Throughput(ingest(server.EventsUrl, settings.Duration, server.Process, ct))),
                ("ingest baseline", ct => Throughput(ingest(baselineUrl, settings.Duration, baseline, ct))),
                warmup: async ct =>
                {
                    await ingest(server.EventsUrl, settings.Warmup, server.Process, ct);
                    await ingest(baselineUrl, settings.Warmup, baseline, ct);
                },
                cancellationToken);
            AddThroughput(
                string.Create(CultureInfo.InvariantCulture, $"`/events` ingest, {settings.IngestNorns:N0} norns, devices without norns"),
                "req/s", subject, bare, 0.95);
        }
    }

    /// <summary>Delivered events/s and event-to-sink latency, 1,000 norns, against the raw forwarder.</summary>
    private async Task DeliveryAndLatencyAsync(bool delivery, bool latency, CancellationToken cancellationToken)
    {
        Section(delivery && latency ? "delivery and latency" : delivery ? "delivery" : "latency");
        await using var server = await StartServerAsync("server-delivery", null, cancellationToken);
        var devices = await RegisterAsync(server, Events.Devices.DeliveryNorns, settings.DeliveryNorns, cancellationToken);
        var (forwarder, forwarderUrl) = await StartBaselineAsync(Baselines.Forward, sink.Url, cancellationToken);
        await using (forwarder)
        {
            if (delivery)
            {
                var events = Events.Prepare(context.EventsKey, devices, devices.Count * DeliveryBodiesPerDevice);
                async Task<Throughput> Deliver(Uri url, TimeSpan duration, ChildProcess target, CancellationToken ct)
                {
                    using var window = new CreditWindow(settings.Window);
                    sink.Observer = window;
                    try
                    {
                        return await ClosedLoop.RunAsync(_poster, url, events, settings.Connections, settings.Settle, duration, window, sink, target, ct);
                    }
                    finally
                    {
                        sink.Observer = null;
                    }
                }

                var (subject, raw) = await AlternateAsync(
                    (Product, ct => Throughput(Deliver(server.EventsUrl, settings.Duration, server.Process, ct))),
                    ("forwarder baseline", ct => Throughput(Deliver(forwarderUrl, settings.Duration, forwarder, ct))),
                    warmup: async ct =>
                    {
                        await Deliver(server.EventsUrl, settings.Warmup, server.Process, ct);
                        await Deliver(forwarderUrl, settings.Warmup, forwarder, ct);
                    },
                    cancellationToken);
                AddThroughput(
                    string.Create(CultureInfo.InvariantCulture, $"delivered events/s, {settings.DeliveryNorns:N0} norns, window {settings.Window:N0}"),
                    "/s", subject, raw, 0.9);
            }

            if (latency)
            {
                Task<Latency> Measure(Uri url, TimeSpan duration, CancellationToken ct) =>
                    OpenLoop.RunAsync(_poster, url, context.EventsKey, devices, settings.Rate, settings.Settle, duration, sink, ct);
                var measuredRounds = new Dictionary<Uri, List<Latency>> { [server.EventsUrl] = [], [forwarderUrl] = [] };
                async Task<Measured> Run(Uri url, CancellationToken ct)
                {
                    var measured = await Measure(url, settings.Duration, ct);
                    measuredRounds[url].Add(measured);
                    var detail = string.Create(
                        CultureInfo.InvariantCulture,
                        $"p50 {measured.P50:F2} ms, p99 {measured.P99:F2} ms, p99.9 {measured.P999:F2} ms, max {measured.Max:F1} ms, {measured.Samples:N0} events{(measured.Lost > 0 ? $", {measured.Lost:N0} lost" : string.Empty)}");
                    return new Measured(measured.P99, detail);
                }

                var (subject, raw) = await AlternateAsync(
                    (Product, ct => Run(server.EventsUrl, ct)),
                    ("forwarder baseline", ct => Run(forwarderUrl, ct)),
                    warmup: async ct =>
                    {
                        await Measure(server.EventsUrl, settings.Warmup, ct);
                        await Measure(forwarderUrl, settings.Warmup, ct);
                    },
                    cancellationToken);
                var what = string.Create(CultureInfo.InvariantCulture, $"event-to-sink latency at {settings.Rate:N0}/s, {settings.DeliveryNorns:N0} norns");
                List<Round> Pick(IReadOnlyList<Round> rounds, Uri url, Func<Latency, double> percentile) =>
                    rounds.Select((r, i) => r with { Value = percentile(measuredRounds[url][i]) }).ToList();
                report.Add(new Comparison(
                    what + ": p50", "ms", "F2", Pick(subject, server.EventsUrl, l => l.P50), Pick(raw, forwarderUrl, l => l.P50), HigherIsBetter: false, TargetRatio: null, ListRounds: false));
                report.Add(new Comparison(what + ": p99", "ms", "F2", subject, raw, HigherIsBetter: false, TargetRatio: 1.2));
                report.Add(new Comparison(
                    what + ": p99.9", "ms", "F2", Pick(subject, server.EventsUrl, l => l.P999), Pick(raw, forwarderUrl, l => l.P999), HigherIsBetter: false, TargetRatio: null, ListRounds: false));
            }
        }
    }

    /// <summary>
    /// The scale probe: start-up time, memory and ingest of a server holding <see cref="Settings.ScaleNorns"/> norns,
    /// against one holding <see cref="Settings.IngestNorns"/> norns filled the same way.
    /// </summary>
    private async Task ScaleAsync(CancellationToken cancellationToken)
    {
        Section("scale");
        // --scale-files keeps the files (named by their counts) and reuses them, so that runs of several builds load
        // the very same files; the servers only read them (nothing is registered or expires within a run).
        var directory = settings.ScaleFiles ?? context.TempDirectory;
        Directory.CreateDirectory(directory);
        var small = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"scale-{settings.IngestNorns}.db"));
        var large = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"scale-{settings.ScaleNorns}.db"));
        if (settings.ScaleFiles is null || !File.Exists(small))
        {
            report.Line(string.Create(CultureInfo.InvariantCulture, $"Filling {small} with {settings.IngestNorns:N0} norns"));
            await NornFile.FillAsync(small, settings.IngestNorns, report.Output, cancellationToken);
        }

        if (settings.ScaleFiles is null || !File.Exists(large))
        {
            report.Line(string.Create(CultureInfo.InvariantCulture, $"Filling {large} with {settings.ScaleNorns:N0} norns"));
            var fillRate = await NornFile.FillAsync(large, settings.ScaleNorns, report.Output, cancellationToken);
            report.Note(string.Create(
                CultureInfo.InvariantCulture,
                $"scale: the {settings.ScaleNorns:N0}-norn file was filled through SqliteNornStore.UpsertAsync at {fillRate:N0} norns/s ({new FileInfo(large).Length / 1048576.0:N0} MiB, in {Path.GetDirectoryName(large)})"));
        }
        else
        {
            report.Note(string.Create(
                CultureInfo.InvariantCulture,
                $"scale: reused {large} ({new FileInfo(large).Length / 1048576.0:N0} MiB), filled by an earlier run"));
        }

        await using var smallServer = await StartServerAsync("server-scale-small", small, cancellationToken);
        var smallLoaded = await smallServer.Process.WhenLine(ServerProcess.IndexLoadedLine).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        await using var largeServer = await StartServerAsync("server-scale-large", large, cancellationToken);
        var largeLoaded = await largeServer.Process.WhenLine(ServerProcess.IndexLoadedLine).WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
        var loadedLine = largeServer.Process.Lines().FirstOrDefault(l => l.Contains(ServerProcess.IndexLoadedLine, StringComparison.Ordinal));
        var rssAfterStart = largeServer.Process.ReadStatusBytes("VmRSS");
        var smallRss = smallServer.Process.ReadStatusBytes("VmRSS");

        var ingest = IngestGenerator("scale");
        var (subject, baseline) = await AlternateAsync(
            (string.Create(CultureInfo.InvariantCulture, $"{settings.ScaleNorns:N0} norns"), ct => Throughput(ingest(largeServer.EventsUrl, settings.Duration, largeServer.Process, ct))),
            (string.Create(CultureInfo.InvariantCulture, $"{settings.IngestNorns:N0} norns"), ct => Throughput(ingest(smallServer.EventsUrl, settings.Duration, smallServer.Process, ct))),
            warmup: async ct =>
            {
                await ingest(largeServer.EventsUrl, settings.Warmup, largeServer.Process, ct);
                await ingest(smallServer.EventsUrl, settings.Warmup, smallServer.Process, ct);
            },
            cancellationToken);
        var rssAfterIngest = largeServer.Process.ReadStatusBytes("VmRSS");
        var peak = largeServer.Process.ReadStatusBytes("VmHWM");

        var n = settings.ScaleNorns.ToString("N0", CultureInfo.InvariantCulture);
        report.Add(new Measurement(
            $"{n} norns: \"Norn index loaded\" after process start",
            string.Create(CultureInfo.InvariantCulture, $"{largeLoaded.TotalSeconds:F1} s (10,000 norns: {smallLoaded.TotalSeconds:F1} s)"),
            "≤ 10 s",
            largeLoaded <= TimeSpan.FromSeconds(10) ? "met" : "not met"));
        report.Add(new Measurement(
            $"{n} norns: `/health` answers after process start",
            string.Create(CultureInfo.InvariantCulture, $"{largeServer.HealthyAfter.TotalSeconds:F1} s (10,000 norns: {smallServer.HealthyAfter.TotalSeconds:F1} s)"),
            "—",
            string.Empty));
        report.Add(new Measurement(
            $"{n} norns: RSS after start / after the ingest rounds / peak",
            string.Create(CultureInfo.InvariantCulture, $"{Gib(rssAfterStart)} / {Gib(rssAfterIngest)} / {Gib(peak)} (10,000 norns: {Gib(smallRss)})"),
            "≤ 1.5 GiB",
            Math.Max(rssAfterStart, rssAfterIngest) <= 1.5 * 1024 * 1024 * 1024 ? "met" : "not met"));
        AddThroughput($"`/events` ingest, {n} norns vs {settings.IngestNorns:N0} (scale probe)", "req/s", subject, baseline, 0.9);
        if (loadedLine is not null)
        {
            report.Note("scale: the large server logged \"" + loadedLine.Trim() + "\"");
        }

        static string Gib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):F2} GiB");
    }

    private static async Task<Measured> Throughput(Task<Throughput> run)
    {
        var result = await run;
        var detail = new List<string>();
        if (result.Failed > 0)
        {
            detail.Add(string.Create(CultureInfo.InvariantCulture, $"{result.Failed:N0} requests failed"));
        }

        if (result.Lost > 0)
        {
            detail.Add(string.Create(CultureInfo.InvariantCulture, $"{result.Lost:N0} events never reached the sink"));
        }

        return new Measured(result.PerSecond, string.Join("; ", detail), result.PerCpuSecond);
    }

    /// <summary>
    /// A throughput figure against its baseline, and the same per CPU-second of the process under test: the ratio of
    /// what each does with the CPU it gets, which the neighbours' load disturbs less than the throughput itself.
    /// </summary>
    private void AddThroughput(string what, string unit, List<Round> subject, List<Round> baseline, double target)
    {
        report.Add(new Comparison(what, unit, "N0", subject, baseline, HigherIsBetter: true, TargetRatio: target));
        static List<Round> PerCpu(List<Round> rounds) => rounds.Select(r => r with { Value = r.PerCpuSecond }).ToList();
        report.Add(new Comparison(
            what + ", per CPU-second of the process under test", "/CPU-s", "N0", PerCpu(subject), PerCpu(baseline), HigherIsBetter: true, TargetRatio: null, ListRounds: false));
    }

    private void Section(string name)
    {
        report.Line(string.Empty);
        report.Line($"== {name} ==");
    }

    /// <summary>wrk when installed (and not turned off), else the built-in closed loop; 64 connections either way.</summary>
    private Func<Uri, TimeSpan, ChildProcess, CancellationToken, Task<Throughput>> IngestGenerator(string name)
    {
        var devices = Enumerable.Range(0, IngestBodies).Select(i => Events.DeviceId(Events.Devices.Unfollowed, i)).ToList();
        var events = Events.Prepare(context.EventsKey, devices, IngestBodies);
        if (settings.UseWrk)
        {
            var script = Wrk.WriteScript(context.TempDirectory, name, events);
            return (url, duration, target, ct) => Wrk.RunAsync(url, script, settings.Threads, settings.Connections, duration, target, ct);
        }

        return (url, duration, target, ct) =>
            ClosedLoop.RunAsync(_poster, url, events, settings.Connections, settings.Settle, duration, null, null, target, ct);
    }

    private async Task<ServerProcess> StartServerAsync(string name, string? database, CancellationToken cancellationToken)
    {
        var server = await ServerProcess.StartAsync(context, name, database, cancellationToken);
        _live.Add(server.Process);
        report.Line(string.Create(CultureInfo.InvariantCulture, $"{name}: pid {server.Process.Id}, {server.BaseUrl}, healthy after {server.HealthyAfter.TotalSeconds:F1} s"));
        return server;
    }

    private async Task<(ChildProcess, Uri)> StartBaselineAsync(string mode, Uri? target, CancellationToken cancellationToken)
    {
        var (process, url) = await Baselines.StartAsync(context, mode, target, cancellationToken);
        _live.Add(process);
        report.Line($"baseline-{mode}: pid {process.Id}, {url}");
        return (process, url);
    }

    private async Task<List<string>> RegisterAsync(ServerProcess server, Events.Devices group, int count, CancellationToken cancellationToken)
    {
        var devices = Enumerable.Range(0, count).Select(i => Events.DeviceId(group, i)).ToList();
        var rate = await server.RegisterNornsAsync(devices, sink.Url, settings.RegisterConcurrency, cancellationToken);
        report.Line(string.Create(CultureInfo.InvariantCulture, $"registered {count:N0} norns through POST /norns ({rate:N0}/s)"));
        return devices;
    }

    /// <summary>
    /// Warms both processes up, then measures them in <see cref="Settings.Rounds"/> alternating rounds (product first),
    /// noting the load average before each round and the CPU share other processes took during it.
    /// </summary>
    private async Task<(List<Round> Subject, List<Round> Baseline)> AlternateAsync(
        (string Name, Func<CancellationToken, Task<Measured>> Run) subject,
        (string Name, Func<CancellationToken, Task<Measured>> Run) baseline,
        Func<CancellationToken, Task> warmup,
        CancellationToken cancellationToken)
    {
        report.Line(string.Create(CultureInfo.InvariantCulture, $"warming up both for {settings.Warmup.TotalSeconds:0} s each"));
        await warmup(cancellationToken);
        var results = (Subject: new List<Round>(), Baseline: new List<Round>());
        for (var number = 1; number <= settings.Rounds; number++)
        {
            foreach (var (name, run, into) in new[] { (subject.Name, subject.Run, results.Subject), (baseline.Name, baseline.Run, results.Baseline) })
            {
                _live.RemoveAll(p => p.HasExited);
                var load = Machine.LoadAverage().One;
                if (load > Machine.BusyLoadAverage)
                {
                    report.Line(string.Create(CultureInfo.InvariantCulture, $"  warning: load average {load:F2} > {Machine.BusyLoadAverage} before this round (it includes our previous round); going on"));
                }

                var foreign = ForeignCpu.Start(() => _live.Where(p => !p.HasExited));
                var (value, detail, perCpuSecond) = await run(cancellationToken);
                var others = foreign.Stop();
                var round = new Round(number, name, value, load, others, detail, perCpuSecond);
                into.Add(round);
                report.Line(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  round {number} {name,-20} {value,12:N2}{(double.IsNaN(perCpuSecond) ? string.Empty : $" ({perCpuSecond:N0} per CPU-s)")}   load {load:F2}, others {others:P0}{(detail.Length > 0 ? "; " + detail : string.Empty)}"));
            }
        }

        return results;
    }
}
