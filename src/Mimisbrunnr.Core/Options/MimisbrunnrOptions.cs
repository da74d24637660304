using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr;

/// <summary>
/// Options of the Mimisbrunnr engine, bound from the configuration section <c>Mimisbrunnr</c> by hosts. Validated at
/// start.
/// </summary>
public sealed class MimisbrunnrOptions : IValidatableObject
{
    /// <summary>The configuration section hosts bind: <c>Mimisbrunnr</c>.</summary>
    public const string SectionName = "Mimisbrunnr";

    /// <summary>The longest ttl a norn may ask for, in seconds (default 86,400 = 24 h).</summary>
    [ConfigurationRange(1, int.MaxValue, ErrorMessage = "Mimisbrunnr:MaxTtl must be from {1} to {2}.")]
    public int MaxTtl { get; set; } = 86_400;

    /// <summary>Quotas.</summary>
    [ValidateObjectMembers]
    public QuotaOptions Quotas { get; set; } = new();

    /// <summary>Delivery: buffers, workers, retries, cut-off.</summary>
    [ValidateObjectMembers]
    public DeliveryOptions Delivery { get; set; } = new();

    /// <summary>How device ids are taken from events.</summary>
    [ValidateObjectMembers]
    public RoutingOptions Routing { get; set; } = new();

    /// <summary>Which destination URLs are allowed.</summary>
    [ValidateObjectMembers]
    public DestinationOptions Destinations { get; set; } = new();

    /// <summary>How often expired norns are swept from the index and the store (default 30 s).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Keys that encrypt norn secrets (HMAC secrets, AWS secret keys, session tokens) in the store: each the base64 of
    /// 32 random bytes (<c>openssl rand -base64 32</c>). The first encrypts new writes; all decrypt, so rotate by
    /// putting a new key first and keeping the old one for <see cref="MaxTtl"/>. Hosts that share a store need the
    /// same keys. Empty (the default): a host with a durable store refuses to start unless
    /// <see cref="AllowUnencryptedSecrets"/> is set (then secrets are stored as given, and a warning says so). See the
    /// README, "Secrets at rest".
    /// </summary>
    public IList<string> SecretKeys { get; } = [];

    /// <summary>
    /// Lets a host with a durable store start without <see cref="SecretKeys"/>, keeping norn secrets as given (default
    /// false: such a host refuses to start, naming <c>Mimisbrunnr:SecretKeys</c>).
    /// </summary>
    public bool AllowUnencryptedSecrets { get; set; }

    /// <summary>
    /// The name of this host instance in delivery status answers (<c>GET /norns/{id}</c>) and the dashboard; default
    /// the machine name. Give each instance sharing a store a distinct name.
    /// </summary>
    [StringLength(200, ErrorMessage = "Mimisbrunnr:InstanceName must be at most {1} characters.")]
    public string? InstanceName { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SweepInterval <= TimeSpan.Zero || SweepInterval > TimeSpan.FromDays(1))
        {
            yield return new ValidationResult(
                $"{SectionName}:SweepInterval {SweepInterval} must be above zero and at most one day.", [nameof(SweepInterval)]);
        }
    }
}
