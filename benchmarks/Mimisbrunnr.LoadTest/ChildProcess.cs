using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mimisbrunnr.LoadTest;

/// <summary>
/// A child process of the tool (the sample server, a baseline, wrk): its output lines with the time each arrived, its
/// memory and CPU time from <c>/proc</c>, and a kill on dispose. Every live child is also killed when the tool exits
/// (<see cref="KillAll"/>), whatever path it exits by.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int MaxLines = 5000;
    private static readonly ConcurrentDictionary<int, Process> Live = new();

    private readonly Process _process;
    private readonly List<(TimeSpan At, string Line)> _lines = [];
    private readonly List<(string Text, TaskCompletionSource<TimeSpan> Seen)> _watches = [];
    private volatile bool _disposed;

    private ChildProcess(string name, Process process, long startedAt)
    {
        Name = name;
        _process = process;
        StartedAt = startedAt;
    }

    /// <summary>A short name for messages.</summary>
    public string Name { get; }

    /// <summary>The process id.</summary>
    public int Id { get; private set; }

    /// <summary>When the process was started (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long StartedAt { get; }

    /// <summary>Whether the process has exited (or was disposed).</summary>
    public bool HasExited => _disposed || _process.HasExited;

    /// <summary>Completes when the process exits.</summary>
    public Task Exited => _process.WaitForExitAsync();

    /// <summary>The exit code (after <see cref="Exited"/>).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>, reading its output.</summary>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var startedAt = Stopwatch.GetTimestamp();
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, startedAt);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {name} ({fileName}).");
        }

        child.Id = process.Id;
        Live[child.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Kills every child still running (Ctrl-C, an exception, the end of the run).</summary>
    public static void KillAll()
    {
        foreach (var (_, process) in Live)
        {
            TryKill(process);
        }
    }

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The time from start until a line containing <paramref name="text"/> appeared (waits for it).</summary>
    public Task<TimeSpan> WhenLine(string text)
    {
        lock (_lines)
        {
            foreach (var (at, line) in _lines)
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    return Task.FromResult(at);
                }
            }

            var seen = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
            _watches.Add((text, seen));
            return seen.Task;
        }
    }

    /// <summary>All output lines so far (stdout and stderr interleaved).</summary>
    public IReadOnlyList<string> Lines()
    {
        lock (_lines)
        {
            return _lines.Select(l => l.Line).ToList();
        }
    }

    /// <summary>The last lines of output, for error messages.</summary>
    public string Tail(int count = 20) => string.Join(Environment.NewLine, Lines().TakeLast(count));

    /// <summary>A line of <c>/proc/&lt;pid&gt;/status</c> in bytes: <c>VmRSS</c> (resident now) or <c>VmHWM</c> (peak).</summary>
    public long ReadStatusBytes(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Id}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{Id}/status has no {field}.");
    }

    /// <summary>User + system CPU time in clock ticks (<c>/proc/&lt;pid&gt;/stat</c>); 0 once it has exited.</summary>
    public long CpuTicks()
    {
        try
        {
            return HasExited ? 0 : Machine.ProcessTicks(Id.ToString(CultureInfo.InvariantCulture), includeChildren: false);
        }
        catch (IOException)
        {
            return 0; // It has just exited.
        }
    }

    /// <summary>Kills the process (and anything it started) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        TryKill(_process);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"warning: {Name} (pid {Id}) did not exit within 10 s of being killed.");
        }

        Live.TryRemove(Id, out _);
        _disposed = true;
        _process.Dispose();
    }

    private static void TryKill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Already gone, or exiting.
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        var at = Stopwatch.GetElapsedTime(StartedAt);
        lock (_lines)
        {
            if (_lines.Count < MaxLines)
            {
                _lines.Add((at, line));
            }

            for (var i = _watches.Count - 1; i >= 0; i--)
            {
                if (line.Contains(_watches[i].Text, StringComparison.Ordinal))
                {
                    _watches[i].Seen.TrySetResult(at);
                    _watches.RemoveAt(i);
                }
            }
        }
    }
}
