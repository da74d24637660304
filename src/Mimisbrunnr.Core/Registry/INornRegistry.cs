using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Registry;

/// <summary>
/// The in-memory index of live norns on this host: device id → norns in O(1), lock-free for readers, kept in step
/// with the store's change feed.
/// </summary>
internal interface INornRegistry
{
    /// <summary>The number of norns in the index.</summary>
    int Count { get; }

    /// <summary>The norns of a device (possibly including some that expired since the last sweep).</summary>
    /// <param name="deviceId">The canonical device id.</param>
    /// <returns>The norns; empty when there are none. Never allocates.</returns>
    DeviceNorns GetByDevice(DeviceId deviceId);

    /// <summary>Finds a norn by id.</summary>
    /// <param name="id">The norn id.</param>
    /// <returns>The current version, or <see langword="null"/>.</returns>
    RegisteredNorn? Find(string id);

    /// <summary>Raised after a norn was added, replaced or removed (on the thread that applied the change).</summary>
    event EventHandler<NornRegistryChangedEventArgs>? Changed;

}

/// <summary>Describes a change of the registry.</summary>
internal sealed class NornRegistryChangedEventArgs : EventArgs
{
    /// <summary>Creates the arguments.</summary>
    /// <param name="id">The norn id.</param>
    /// <param name="removed">Whether the norn was removed (otherwise added or replaced).</param>
    public NornRegistryChangedEventArgs(string id, bool removed)
    {
        Id = id;
        Removed = removed;
    }

    /// <summary>The norn id.</summary>
    public string Id { get; }

    /// <summary>Whether the norn was removed; otherwise it was added or replaced.</summary>
    public bool Removed { get; }
}
