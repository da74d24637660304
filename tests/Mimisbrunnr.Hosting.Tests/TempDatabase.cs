namespace Mimisbrunnr.Hosting.Tests;

/// <summary>A SQLite file in a fresh temporary folder, removed with the folder.</summary>
internal sealed class TempDatabase : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mimisbrunnr-hosting-").FullName;

    public string Path => System.IO.Path.Combine(_folder, "norns.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a slow shutdown: the OS temp cleaner takes it.
        }
    }
}
