using System.Security.Cryptography;
using System.Text;

namespace Mimisbrunnr.LoadTest;

/// <summary>What every process of one run shares: secrets, the sample server's build, a temporary folder.</summary>
internal sealed class RunContext : IDisposable
{
    public RunContext(string repoRoot, string? serverDll = null)
    {
        RepoRoot = repoRoot;
        ServerDll = serverDll ?? Path.Combine(repoRoot, "samples", "Mimisbrunnr.Server", "bin", "Release", "net10.0", "Mimisbrunnr.Server.dll");
        if (!File.Exists(ServerDll))
        {
            throw new InvalidOperationException($"{ServerDll} is missing: build it first (dotnet build samples/Mimisbrunnr.Server -c Release).");
        }

        // tmpfs when there is one: the SQLite files then cost no fsync while norns are registered. Nothing is written
        // to them while events are measured.
        var parent = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        TempDirectory = Path.Combine(parent, "mimisbrunnr-e2e-" + Random(6));
        Directory.CreateDirectory(TempDirectory);
    }

    public string RepoRoot { get; }

    public string ServerDll { get; }

    public string TempDirectory { get; }

    /// <summary>The secret shared with "Caduceus" (the generators) for <c>/events</c>.</summary>
    public string EventsSecret { get; } = Random(24);

    public byte[] EventsKey => Encoding.UTF8.GetBytes(EventsSecret);

    /// <summary>The HMAC secret of every norn the tool registers (and of the forwarder's deliveries).</summary>
    public string NornSecret { get; } = Random(24);

    public string Password { get; } = Random(16);

    /// <summary>The <c>Mimisbrunnr:SecretKeys:0</c> of every server: base64 of 32 random bytes.</summary>
    public string SecretKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public void Dispose()
    {
        try
        {
            Directory.Delete(TempDirectory, recursive: true);
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"warning: could not delete {TempDirectory}: {ex.Message}");
        }
    }

    private static string Random(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}
