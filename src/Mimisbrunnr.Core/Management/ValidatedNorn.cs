using Mimisbrunnr.Norns;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Management;

/// <summary>A <see cref="NornRequest"/> that passed <see cref="NornValidator"/>, in the form the norn is stored.</summary>
/// <param name="Id">The derived norn id.</param>
/// <param name="DeviceId">The canonical device id.</param>
/// <param name="Ttl">The time to live.</param>
/// <param name="Destination">The destination, with defaults applied.</param>
/// <param name="Filter">The filter, or <see langword="null"/> when it lets every event through.</param>
internal sealed record ValidatedNorn(string Id, DeviceId DeviceId, TimeSpan Ttl, NornDestination Destination, NornFilter? Filter)
{
    /// <summary>Builds the norn to store.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="now">The time of the write.</param>
    /// <returns>The norn, created and updated at <paramref name="now"/> (the store keeps the first creation time).</returns>
    public Norn ToNorn(string owner, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return new Norn
        {
            Id = Id,
            DeviceId = DeviceId.ToString(),
            Owner = owner,
            Destination = Destination,
            Filter = Filter,
            ExpiresAt = now + Ttl,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }
}
