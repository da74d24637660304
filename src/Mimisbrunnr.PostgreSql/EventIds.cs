namespace Mimisbrunnr.PostgreSql;

/// <summary>
/// The log event ids of this package, in one place so that none repeats (the range 2000..2099 is this package's;
/// every Mimisbrunnr package has a range of its own).
/// </summary>
internal static class EventIds
{
    public const int Migrated = 2000;

    public const int ListenerConnected = 2001;

    public const int ListenerReconnected = 2002;

    public const int ListenerLost = 2003;

    public const int Retrying = 2004;

    public const int UnknownNotification = 2005;

    public const int Rekeyed = 2006;
}
