namespace Mimisbrunnr.Argus;

/// <summary>
/// The log event ids of this package, in one place so that none repeats (the range 1000..1099 is this package's;
/// every Mimisbrunnr package has a range of its own).
/// </summary>
internal static class EventIds
{
    // ArgusClient: requests.
    public const int Refused = 1000;

    public const int Rejected = 1001;

    public const int Retrying = 1002;

    public const int Unavailable = 1003;

    // ArgusNornStore: polls, reads and writes.
    public const int PollFailing = 1010;

    public const int PollStillFailing = 1011;

    public const int PollRecovered = 1012;

    public const int Polled = 1013;

    public const int ForeignItem = 1014;

    public const int Rekeyed = 1015;

    public const int RekeyDeferred = 1016;

    // ArgusSnapshot.
    public const int ForeignItemPolled = 1020;
}
