using System.Text.Json;

namespace Mimisbrunnr.Tests;

/// <summary>
/// Finds the shared WRP test vectors (<c>../shared/wrp</c> beside the checkout, or <c>MIMISBRUNNR_SHARED_DIR</c>).
/// The project never copies them; tests that need them skip with a reason when they are absent.
/// </summary>
public static class SharedVectors
{
    /// <summary>The reason tests report when the shared folder is absent.</summary>
    public const string MissingReason = "skipped: shared vectors not present";

    private static readonly Lazy<string?> WrpDirectory = new(FindWrpDirectory);

    /// <summary>The <c>shared/wrp</c> folder, or null when it is not present.</summary>
    public static string? Directory => WrpDirectory.Value;

    /// <summary>Loads a shared JSON file (for example <c>vectors.json</c>), or null when the folder is absent.</summary>
    public static JsonElement? Load(string fileName)
    {
        if (Directory is null)
        {
            return null;
        }

        var path = Path.Combine(Directory, fileName);
        if (!File.Exists(path))
        {
            return null;
        }

        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.Clone();
    }

    private static string? FindWrpDirectory()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("MIMISBRUNNR_SHARED_DIR");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            var candidate = Path.Combine(fromEnvironment, "wrp");
            return System.IO.Directory.Exists(candidate) ? candidate : null;
        }

        // Walk up from the test binaries to the repository root (the folder with Mimisbrunnr.sln), then look beside it.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mimisbrunnr.sln")))
            {
                var candidate = Path.Combine(dir.FullName, "..", "shared", "wrp");
                return System.IO.Directory.Exists(candidate) ? Path.GetFullPath(candidate) : null;
            }
        }

        return null;
    }
}
