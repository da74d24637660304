using System.Numerics;

namespace Mimisbrunnr.Registry;

/// <summary>
/// The registry's index of MAC-addressed devices: an open-addressing table (linear probing, at most half full) of
/// slots that hold the device's 48-bit key and its norns (a <see cref="RegisteredNorn"/>, or an array of two or more)
/// side by side, so a lookup reads one slot and then the norn: no bucket array, no dictionary node and no
/// one-element array between the key and the norn.
/// </summary>
/// <remarks>
/// <para>
/// Readers never lock; writers are serialised by the registry's lock. A slot's key is written once, after its value,
/// and never changes for the life of the table, so a reader that finds the key reads a value of that device (the
/// current one or the one just replaced). Removing a device leaves its key with no value (a tombstone, found as "no
/// norns"); the same device reuses its slot, and tombstones go when the table is rebuilt, which happens when keys fill
/// half of it. A rebuild publishes a new table; readers holding the old one read a complete, slightly older state.
/// </para>
/// <para>
/// At 1,000,000 devices the table is 2^21 slots of 16 bytes (32 MiB), less than the dictionary nodes and one-element
/// arrays it replaces.
/// </para>
/// </remarks>
internal sealed class MacDeviceTable
{
    private const int MinCapacity = 16;

    private Slot[] _slots;
    private int _used;
    private int _live;

    /// <summary>Creates a table sized for <paramref name="devices"/> devices.</summary>
    /// <param name="devices">The devices expected.</param>
    public MacDeviceTable(int devices = 0)
    {
        _slots = new Slot[Capacity(devices, 2)];
    }

    /// <summary>The devices with norns.</summary>
    public int Count => _live;

    /// <summary>The stored norns of a device (see <see cref="DeviceNorns.Stored"/>), or <see langword="null"/>.</summary>
    /// <param name="key">The device's non-zero key.</param>
    /// <returns>What is stored.</returns>
    public object? Get(ulong key)
    {
        var slots = Volatile.Read(ref _slots);
        var mask = slots.Length - 1;
        var i = Start(key, slots.Length);
        while (true)
        {
            ref var slot = ref slots[i];
            var found = Volatile.Read(ref slot.Key);
            if (found == key)
            {
                return slot.Norns;
            }

            if (found == 0)
            {
                return null;
            }

            i = (i + 1) & mask;
        }
    }

    /// <summary>Sets (or with <see langword="null"/> removes) the norns of a device. Callers hold the registry's write lock.</summary>
    /// <param name="key">The device's non-zero key.</param>
    /// <param name="norns">What to store (see <see cref="DeviceNorns.Stored"/>).</param>
    public void Set(ulong key, object? norns)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        var i = Start(key, slots.Length);
        while (slots[i].Key != 0)
        {
            if (slots[i].Key == key)
            {
                _live += (norns is null ? 0 : 1) - (slots[i].Norns is null ? 0 : 1);
                Volatile.Write(ref slots[i].Norns, norns);
                return;
            }

            i = (i + 1) & mask;
        }

        if (norns is null)
        {
            return;
        }

        if ((_used + 1) * 2 > slots.Length)
        {
            Rebuild();
            Set(key, norns);
            return;
        }

        slots[i].Norns = norns;
        Volatile.Write(ref slots[i].Key, key); // after the value: a reader that sees the key sees the value
        _used++;
        _live++;
    }

    private void Rebuild()
    {
        // Room for growth (a quarter full after a rebuild), so that a steady churn of devices rebuilds rarely.
        var next = new Slot[Capacity(_live + 1, 4)];
        var mask = next.Length - 1;
        foreach (var slot in _slots)
        {
            if (slot.Norns is null)
            {
                continue;
            }

            var i = Start(slot.Key, next.Length);
            while (next[i].Key != 0)
            {
                i = (i + 1) & mask;
            }

            next[i] = slot;
        }

        _used = _live;
        Volatile.Write(ref _slots, next);
    }

    private static int Capacity(int devices, int factor) =>
        (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinCapacity, devices * factor));

    /// <summary>Fibonacci hashing: the top bits of the key times 2^64/φ pick the first slot.</summary>
    private static int Start(ulong key, int capacity) =>
        (int)((key * 0x9E3779B97F4A7C15UL) >> (64 - BitOperations.Log2((uint)capacity)));

    private struct Slot
    {
        public ulong Key;
        public object? Norns;
    }
}
