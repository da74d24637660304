namespace Mimisbrunnr.Hosting;

/// <summary>
/// The log event ids of this package, in one place so that none repeats (the range 4000..4999 is this package's;
/// every Mimisbrunnr package has a range of its own).
/// </summary>
internal static class EventIds
{
    public const int EventRouted = 4000;

    public const int WebhookRegistered = 4001;

    public const int WebhookRegistrationFailed = 4002;

    public const int StoreFailed = 4003;

    // 4100..4199: operability (Caduceus cut-off notices, dashboard).
    public const int CaduceusCutOff = 4100;

    public const int CaduceusCutOffRejected = 4101;
}
