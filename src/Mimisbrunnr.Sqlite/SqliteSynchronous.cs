namespace Mimisbrunnr.Sqlite;

/// <summary>How hard each SQLite commit waits for the disk (<c>PRAGMA synchronous</c>).</summary>
public enum SqliteSynchronous
{
    /// <summary>
    /// Every commit is on the disk before the write returns (the default): a registration answered 201 survives an
    /// operating-system crash or a power loss.
    /// </summary>
    Full = 0,

    /// <summary>
    /// Commits survive a crash of the process, but an operating-system crash or a power loss may lose the last ones
    /// (already answered 201); faster registrations.
    /// </summary>
    Normal = 1,
}
