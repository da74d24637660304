namespace Mimisbrunnr.Sqs;

/// <summary>
/// The log event ids of this package, in one place so that none repeats (the range 5000..5999 is this package's;
/// every Mimisbrunnr package has a range of its own).
/// </summary>
internal static class EventIds
{
    public const int SecretUnreadable = 5000;

    public const int InvalidFailureUrl = 5001;

    public const int NoticeSent = 5002;

    public const int NoticeFailed = 5003;

    public const int NotAnSqsNorn = 5004;

    public const int CredentialsRefused = 5005;

    public const int DestinationFailed = 5006;

    public const int Retrying = 5007;

    public const int GaveUp = 5008;

    public const int EntryFailed = 5009;

    public const int RequestFailed = 5010;

    public const int CredentialsUnreadable = 5011;

    public const int ClientsDisposed = 5012;
}
