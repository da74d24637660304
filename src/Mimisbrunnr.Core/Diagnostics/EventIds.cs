namespace Mimisbrunnr.Diagnostics;

/// <summary>
/// The log event ids of this package, in one place so that none repeats (the range 100..999 is this package's;
/// every Mimisbrunnr package has a range of its own).
/// </summary>
internal static class EventIds
{
    public const int CutOffNoticeInvalidUrl = 100;

    public const int CutOffNoticeSent = 101;

    public const int CutOffNoticeSecretUnreadable = 102;

    public const int NotAnHttpNorn = 103;

    public const int DeliveryRejected = 104;

    public const int DeliveryError = 105;

    public const int DestinationRefused = 106;

    public const int DeliverySecretUnreadable = 107;

    public const int CutOffStarted = 108;

    public const int CutOffNoticeFailed = 109;

    public const int NoSender = 110;

    public const int SenderThrew = 111;

    public const int DestinationGone = 112;

    public const int RemoveFailed = 113;

    public const int DispatcherStopped = 114;

    public const int DispatcherRetired = 115;

    public const int WorkerFailed = 116;

    public const int Draining = 117;

    public const int AbortCallbackFailed = 118;

    public const int Swept = 119;

    public const int SweepFailed = 120;

    public const int SecretsStoredUnprotected = 121;

    public const int NornNotIndexed = 122;

    public const int ChangedHandlerFailed = 123;

    public const int IndexLoaded = 124;

    public const int SyncFailed = 125;

    public const int UnknownChange = 126;
}
