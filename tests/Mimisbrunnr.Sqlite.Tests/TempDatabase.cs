namespace Mimisbrunnr.Sqlite.Tests;

/// <summary>A database file in a fresh temporary folder, deleted (with its WAL files) on dispose.</summary>
internal sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Folder = Path.Combine(Path.GetTempPath(), "mimisbrunnr-sqlite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        File = Path.Combine(Folder, "norns.db");
    }

    public string Folder { get; }

    public string File { get; }

    public string ConnectionString => $"Data Source={File}";

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a pooled connection may still hold the file for a moment.
        }
    }
}
