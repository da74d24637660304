namespace Mimisbrunnr.Storage;

/// <summary>
/// Implemented by stores whose change feed follows other hosts over a connection that can drop (PostgreSQL's LISTEN,
/// Argus polling): whether the feed is following now. While it is not, the host routes with the index it has and
/// changes made on other hosts reach it late; health reports Degraded.
/// </summary>
public interface INornChangeFeedStatus
{
    /// <summary>Whether the feed is following the store now.</summary>
    bool IsFollowing { get; }

    /// <summary>Why it is not, for an operator (never a secret); <see langword="null"/> while it is.</summary>
    string? Problem { get; }
}
