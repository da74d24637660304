namespace Mimisbrunnr;

/// <summary>Norn quotas.</summary>
public sealed class QuotaOptions
{
    /// <summary>Maximum live norns per owner (default 10,000).</summary>
    [ConfigurationRange(1, int.MaxValue, ErrorMessage = "Mimisbrunnr:Quotas:MaxNornsPerOwner must be from {1} to {2}.")]
    public int MaxNornsPerOwner { get; set; } = 10_000;

    /// <summary>Maximum live norns one owner has on one device (default 100); other owners' norns do not count.</summary>
    [ConfigurationRange(1, int.MaxValue, ErrorMessage = "Mimisbrunnr:Quotas:MaxNornsPerDevice must be from {1} to {2}.")]
    public int MaxNornsPerDevice { get; set; } = 100;
}
