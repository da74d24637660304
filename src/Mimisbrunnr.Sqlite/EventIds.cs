namespace Mimisbrunnr.Sqlite;

/// <summary>
/// The log event ids of this package, in one place so that none repeats (the range 3000..3099 is this package's;
/// every Mimisbrunnr package has a range of its own).
/// </summary>
internal static class EventIds
{
    public const int Migrated = 3000;

    public const int NotWal = 3001;

    public const int Rekeyed = 3002;
}
