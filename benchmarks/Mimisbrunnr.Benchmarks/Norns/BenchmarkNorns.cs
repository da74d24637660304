using System.Globalization;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Benchmarks.Norns;

/// <summary>Builds norns shaped like real registrations, each with its own strings (as a store hands them over).</summary>
public static class BenchmarkNorns
{
    /// <summary>A fixed registration time.</summary>
    public static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The canonical device id of device number <paramref name="device"/>.</summary>
    /// <param name="device">The device number.</param>
    /// <returns>For example <c>mac:00000000002a</c>.</returns>
    public static string DeviceId(int device) => "mac:" + device.ToString("x12", CultureInfo.InvariantCulture);

    /// <summary>Builds norn number <paramref name="index"/> of a device.</summary>
    /// <param name="device">The device number.</param>
    /// <param name="index">The norn number (distinct destinations).</param>
    /// <param name="filter">An optional filter.</param>
    /// <returns>The norn.</returns>
    public static Norn Make(int device, int index, NornFilter? filter = null)
    {
        var deviceId = DeviceId(device);
        var url = string.Create(
            CultureInfo.InvariantCulture, $"https://consumer-{index % 100}.example.com/webhooks/mimisbrunnr/{index}");
        return new Norn
        {
            Id = NornIdentity.Derive(deviceId, url),
            DeviceId = deviceId,
            Owner = string.Create(CultureInfo.InvariantCulture, $"owner-{index % 50}"),
            Destination = new NornDestination
            {
                Http = new HttpDestination
                {
                    Url = url,
                    Secret = string.Create(CultureInfo.InvariantCulture, $"secret-{index:x8}-0123456789abcdef"),

                    // A fresh copy, as a deserializer would produce.
                    ContentType = new string(DeliveryContentTypes.Json.AsSpan()),
                },
            },
            Filter = filter,
            ExpiresAt = T0.AddHours(24),
            CreatedAt = T0,
            UpdatedAt = T0,
        };
    }
}
