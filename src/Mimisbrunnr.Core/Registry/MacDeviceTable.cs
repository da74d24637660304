using System.Runtime.CompilerServices;

namespace Mimisbrunnr.Registry;

/// <summary>
/// The registry's index of MAC-addressed devices: an open-addressing table (linear probing) of slots that hold the
/// device's 48-bit key, its norns (a <see cref="RegisteredNorn"/>, or an array of two or more) and what routing needs
/// to know of a lone norn without reading it (no filter, no partner ids, not expired before a given second), so that
/// a lookup reads one slot and, for the common device with one unfiltered norn, routing never touches the norn.
/// </summary>
/// <remarks>
/// <para>
/// Readers never lock; writers are serialised by the registry's lock. A slot's key is written once, after its value,
/// and never changes for the life of the table, so a reader that finds the key reads a value of that device (the
/// current one or the one just replaced). Removing a device leaves its key with no value (a tombstone, found as "no
/// norns"); the same device reuses its slot, and tombstones go when the table is rebuilt, which happens when keys fill
/// 70% of it. A rebuild publishes a new table; readers holding the old one read a complete, slightly older state.
/// </para>
/// <para>
/// The routing summary (<see cref="Slot.Plain"/>) and the norns are two words, written by the writer as a sequence
/// lock: summary cleared, norns written, new summary (with a fresh write stamp) written. A reader reads summary,
/// norns, summary, and trusts the summary only when both reads agree and are not cleared; otherwise it reads the
/// norns as stored (a type check), which is always safe.
/// </para>
/// <para>
/// The table holds 1.6 slots per device when built for a known number of devices (a registry load) and grows to 3
/// slots per device when keys fill 70% of it. At 1,000,000 devices a loaded table is 1,600,000 slots of 24 bytes
/// (38 MB); any capacity works (the first slot is picked by multiply-shift, not by masking).
/// </para>
/// </remarks>
internal sealed class MacDeviceTable
{
    private const int MinCapacity = 16;

    // Routing summaries count seconds from 2000-01-01 (32 bits: until 2136); expiries outside get no summary.
    private const long EpochTicks = 630_822_816_000_000_000;

    private Slot[] _slots;
    private int _used;
    private int _live;
    private uint _stamp;

    /// <summary>Creates a table sized for <paramref name="devices"/> devices.</summary>
    /// <param name="devices">The devices expected.</param>
    public MacDeviceTable(int devices = 0)
    {
        _slots = new Slot[Capacity(devices, 8, 5)];
    }

    /// <summary>The devices with norns.</summary>
    public int Count => _live;

    /// <summary>The slots of the current table (for tests: load and growth).</summary>
    internal int Capacity() => Volatile.Read(ref _slots).Length;

    /// <summary>The norns of a device, with the routing summary of a lone plain norn when one is stored.</summary>
    /// <param name="key">The device's non-zero key.</param>
    /// <returns>The norns; empty when the device has none.</returns>
    public DeviceNorns Get(ulong key)
    {
        var slots = Volatile.Read(ref _slots);
        var i = IndexOf(slots, key);
        if (i < 0)
        {
            return default;
        }

        ref var slot = ref slots[i];
        var before = Volatile.Read(ref slot.Plain);
        var norns = Volatile.Read(ref slot.Norns);
        return Read(before, norns, Volatile.Read(ref slot.Plain));
    }

    /// <summary>
    /// What a reader makes of a slot read as summary, norns, summary: when both summaries are the same write's, the
    /// summary was written for exactly these norns, one <see cref="RegisteredNorn"/> (see <see cref="Set"/>), which is
    /// then used as one without reading its type (that would read the norn); otherwise the norns as stored.
    /// </summary>
    /// <param name="before">The summary read first.</param>
    /// <param name="norns">The norns read next.</param>
    /// <param name="after">The summary read last.</param>
    /// <returns>The norns.</returns>
    internal static DeviceNorns Read(long before, object? norns, long after) =>
        before != 0 && after == before
            ? DeviceNorns.Plain(Unsafe.As<RegisteredNorn>(norns!), NotExpiredBefore(before))
            : DeviceNorns.FromStored(norns);

    /// <summary>The summary <see cref="Set"/> writes for a norn (for tests).</summary>
    /// <param name="norn">The norn.</param>
    /// <returns>The summary, with the next write stamp; 0 for none.</returns>
    internal long SummaryOf(RegisteredNorn norn) => Summarise(norn);

    /// <summary>The stored norns of a device (see <see cref="DeviceNorns.Stored"/>), or <see langword="null"/>.</summary>
    /// <param name="key">The device's non-zero key.</param>
    /// <returns>What is stored.</returns>
    public object? GetStored(ulong key)
    {
        var slots = Volatile.Read(ref _slots);
        var i = IndexOf(slots, key);
        return i < 0 ? null : Volatile.Read(ref slots[i].Norns);
    }

    /// <summary>The slot of <paramref name="key"/> in <paramref name="slots"/>, or -1 when the device has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the routing lookup
    private static int IndexOf(Slot[] slots, ulong key)
    {
        var i = Start(key, slots.Length);
        while (true)
        {
            var found = Volatile.Read(ref slots[i].Key);
            if (found == key)
            {
                return i;
            }

            if (found == 0)
            {
                return -1;
            }

            i = Next(i, slots.Length);
        }
    }

    /// <summary>Sets (or with <see langword="null"/> removes) the norns of a device. Callers hold the registry's write lock.</summary>
    /// <param name="key">The device's non-zero key.</param>
    /// <param name="norns">What to store (see <see cref="DeviceNorns.Stored"/>).</param>
    public void Set(ulong key, object? norns)
    {
        var slots = _slots;
        var i = Start(key, slots.Length);
        while (slots[i].Key != 0)
        {
            ref var slot = ref slots[i];
            if (slot.Key == key)
            {
                _live += (norns is null ? 0 : 1) - (slot.Norns is null ? 0 : 1);
                Volatile.Write(ref slot.Plain, 0); // readers that see the old summary after this see it change
                Volatile.Write(ref slot.Norns, norns);
                Volatile.Write(ref slot.Plain, Summarise(norns));
                return;
            }

            i = Next(i, slots.Length);
        }

        if (norns is null)
        {
            return;
        }

        if ((long)(_used + 1) * 10 > (long)slots.Length * 7)
        {
            Rebuild();
            Set(key, norns);
            return;
        }

        slots[i].Norns = norns;
        slots[i].Plain = Summarise(norns);
        Volatile.Write(ref slots[i].Key, key); // after the value: a reader that sees the key sees the value
        _used++;
        _live++;
    }

    /// <summary>
    /// The routing summary of what is stored: for one norn without filter or partner ids whose expiry falls in the
    /// summary's range, the second it expires in (from 2000) and a write stamp; 0 (no summary) otherwise.
    /// </summary>
    private long Summarise(object? norns)
    {
        if (norns is not RegisteredNorn { IsPlain: true } norn)
        {
            return 0;
        }

        var seconds = (norn.ExpiresAtUtcTicks - EpochTicks) / TimeSpan.TicksPerSecond;
        if (seconds is <= 0 or > uint.MaxValue)
        {
            return 0;
        }

        // The stamp (31 bits, odd so never 0) makes two summaries of different writes differ even when they describe
        // equal norns, so a reader never pairs a summary with norns it was not written for.
        _stamp++;
        return (seconds << 32) | ((long)(_stamp & 0x7FFF_FFFF) << 1) | 1;
    }

    /// <summary>The instant before which a summarised norn has certainly not expired (the start of its expiry second).</summary>
    private static long NotExpiredBefore(long summary) => EpochTicks + ((long)((ulong)summary >> 32) * TimeSpan.TicksPerSecond);

    private void Rebuild()
    {
        // Room for growth (a third full after a rebuild), so that a steady churn of devices rebuilds rarely.
        var next = new Slot[Capacity(_live + 1, 3, 1)];
        foreach (var slot in _slots)
        {
            if (slot.Norns is null)
            {
                continue;
            }

            var i = Start(slot.Key, next.Length);
            while (next[i].Key != 0)
            {
                i = Next(i, next.Length);
            }

            next[i] = slot;
        }

        _used = _live;
        Volatile.Write(ref _slots, next);
    }

    private static int Capacity(int devices, int numerator, int denominator) =>
        (int)Math.Min(Array.MaxLength, Math.Max(MinCapacity, ((long)devices * numerator / denominator) + 1));

    /// <summary>
    /// The first slot: the top 32 bits of the key times 2^64/φ (Fibonacci hashing, which spreads both sequential and
    /// random MACs), scaled to the capacity by a multiply-shift.
    /// </summary>
    private static int Start(ulong key, int capacity) =>
        (int)(((key * 0x9E3779B97F4A7C15UL) >> 32) * (ulong)capacity >> 32);

    private static int Next(int i, int capacity) => ++i == capacity ? 0 : i;

    private struct Slot
    {
        public ulong Key;
        public object? Norns;

        /// <summary>The routing summary (see <see cref="Summarise"/>); 0 for none.</summary>
        public long Plain;
    }
}
