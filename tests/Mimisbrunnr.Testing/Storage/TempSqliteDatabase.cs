using Microsoft.Data.Sqlite;

namespace Mimisbrunnr.Testing.Storage;

/// <summary>
/// A SQLite file (<c>norns.db</c>) in a fresh folder under the temporary directory; the folder, with the file and its
/// WAL files, is deleted on dispose.
/// </summary>
public sealed class TempSqliteDatabase : IDisposable
{
    /// <summary>Creates the folder (the file is created by whoever opens it first).</summary>
    public TempSqliteDatabase()
    {
        Folder = Directory.CreateTempSubdirectory("mimisbrunnr-sqlite-").FullName;
        Path = System.IO.Path.Combine(Folder, "norns.db");
    }

    /// <summary>The folder that holds the file.</summary>
    public string Folder { get; }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The connection string of the file, as <c>UseSqliteStore</c> takes it.</summary>
    public string ConnectionString => $"Data Source={Path}";

    /// <summary>Closes pooled connections and deletes the folder.</summary>
    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a slow shutdown: the OS temp cleaner takes it.
        }
    }
}
