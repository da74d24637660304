using System.Security.Cryptography;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.ConsumerSample;

/// <summary>The <c>Consumer</c> configuration section.</summary>
public sealed class ConsumerSettings
{
    /// <summary>The Mimisbrunnr server, for example <c>http://localhost:6600/</c>.</summary>
    public string ServerUrl { get; set; } = string.Empty;

    /// <summary>The Basic user of the Mimisbrunnr server.</summary>
    public string User { get; set; } = string.Empty;

    /// <summary>Its password.</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>The device whose events this consumer wants, for example <c>mac:112233445566</c>.</summary>
    public string DeviceId { get; set; } = string.Empty;

    /// <summary>
    /// The URL at which the Mimisbrunnr server reaches this app's <c>/deliveries</c>; empty means this app's own
    /// listening address (fine when both run on one machine).
    /// </summary>
    public string PublicUrl { get; set; } = string.Empty;

    /// <summary>The norn secret the deliveries are signed with; empty means a random one per run.</summary>
    public string Secret { get; set; } = string.Empty;

    /// <summary>How long each registration lasts; the norn is renewed when half of it has passed.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary><c>application/json</c>, <c>application/msgpack</c> (whole WRP messages) or <c>payload</c> (the payload alone).</summary>
    public string ContentType { get; set; } = DeliveryContentTypes.Json;

    /// <summary>Reads and checks the section; fills in a random secret when none is configured.</summary>
    public static ConsumerSettings From(IConfiguration configuration)
    {
        var settings = configuration.GetSection("Consumer").Get<ConsumerSettings>() ?? new ConsumerSettings();
        var problems = new List<string>();
        if (!Uri.TryCreate(settings.ServerUrl, UriKind.Absolute, out _))
        {
            problems.Add("Consumer:ServerUrl must be the absolute URL of the Mimisbrunnr server");
        }

        if (string.IsNullOrWhiteSpace(settings.DeviceId))
        {
            problems.Add("Consumer:DeviceId is required, for example mac:112233445566");
        }

        if (settings.PublicUrl.Length > 0 && !Uri.TryCreate(settings.PublicUrl, UriKind.Absolute, out _))
        {
            problems.Add("Consumer:PublicUrl must be an absolute URL (or empty)");
        }

        if (settings.Ttl < TimeSpan.FromSeconds(2))
        {
            problems.Add("Consumer:Ttl must be at least 2 seconds");
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid configuration: " + string.Join("; ", problems) + ".");
        }

        if (string.IsNullOrEmpty(settings.Secret))
        {
            // A Standard Webhooks style secret: "whsec_" + base64 of 32 random bytes.
            settings.Secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        }

        return settings;
    }
}
