using System.Collections;

namespace Mimisbrunnr.Registry;

/// <summary>
/// The norns of one device as the index holds them: none, one norn (the common case, held without an array), or an
/// array of two or more. A copy of what the index held when it was read: later changes replace the index's entry and
/// never change what a reader holds.
/// </summary>
internal readonly struct DeviceNorns : IReadOnlyList<RegisteredNorn>
{
    private readonly RegisteredNorn? _single;
    private readonly RegisteredNorn[]? _many;
    private readonly long _plainUntilTicks;

    /// <summary>Wraps a list of norns (any length; one norn is held without the array).</summary>
    /// <param name="norns">The norns; the caller never changes the array afterwards.</param>
    public DeviceNorns(RegisteredNorn[] norns)
    {
        ArgumentNullException.ThrowIfNull(norns);
        if (norns.Length == 1)
        {
            _single = norns[0];
        }
        else if (norns.Length > 1)
        {
            _many = norns;
        }
    }

    private DeviceNorns(RegisteredNorn? single, RegisteredNorn[]? many, long plainUntilTicks = 0)
    {
        _single = single;
        _many = many;
        _plainUntilTicks = plainUntilTicks;
    }

    /// <summary>The number of norns.</summary>
    public int Count => _single is not null ? 1 : _many?.Length ?? 0;

    /// <summary>The norn at <paramref name="index"/>.</summary>
    /// <param name="index">From 0 to <see cref="Count"/> - 1.</param>
    public RegisteredNorn this[int index] =>
        _single is not null
            ? index == 0 ? _single : throw new ArgumentOutOfRangeException(nameof(index))
            : _many is not null ? _many[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>
    /// What the index stores for these norns: <see langword="null"/>, a <see cref="RegisteredNorn"/> or a
    /// <see cref="RegisteredNorn"/> array of two or more.
    /// </summary>
    internal object? Stored => (object?)_single ?? _many;

    /// <summary>
    /// For one norn without a filter and without partner ids (it takes every event of its device), the instant (UTC
    /// ticks) before which it has certainly not expired, as the index summarised it; 0 otherwise. Lets routing decide
    /// without reading the norn: a norn that may have expired is checked with <see cref="RegisteredNorn.IsExpired"/>.
    /// </summary>
    public long PlainUntilTicks => _plainUntilTicks;

    /// <summary>One norn without filter or partner ids that has not expired before <paramref name="plainUntilTicks"/>.</summary>
    /// <param name="norn">The norn.</param>
    /// <param name="plainUntilTicks">UTC ticks, above 0.</param>
    /// <returns>The norns.</returns>
    internal static DeviceNorns Plain(RegisteredNorn norn, long plainUntilTicks) => new(norn, null, plainUntilTicks);

    /// <summary>Reads what the index stores (see <see cref="Stored"/>).</summary>
    /// <param name="stored">A stored value.</param>
    /// <returns>The norns.</returns>
    internal static DeviceNorns FromStored(object? stored) =>
        stored is RegisteredNorn single ? new(single, null) : new(null, (RegisteredNorn[]?)stored);

    /// <summary>These norns and <paramref name="norn"/> after them.</summary>
    internal object Add(RegisteredNorn norn) => Count switch
    {
        0 => norn,
        1 => new[] { _single!, norn },
        _ => (RegisteredNorn[])[.. _many!, norn],
    };

    /// <summary>These norns with the one at <paramref name="position"/> replaced by <paramref name="norn"/> (a copy).</summary>
    internal object Replace(int position, RegisteredNorn norn)
    {
        if (_single is not null)
        {
            return norn;
        }

        var next = (RegisteredNorn[])_many!.Clone();
        next[position] = norn;
        return next;
    }

    /// <summary>These norns without the one at <paramref name="position"/> (a copy); <see langword="null"/> when none remain.</summary>
    internal object? RemoveAt(int position)
    {
        if (_single is not null)
        {
            return null;
        }

        var many = _many!;
        if (many.Length == 2)
        {
            return many[1 - position];
        }

        var next = new RegisteredNorn[many.Length - 1];
        Array.Copy(many, 0, next, 0, position);
        Array.Copy(many, position + 1, next, position, next.Length - position);
        return next;
    }

    /// <summary>Where <paramref name="norn"/> (this instance) is, or -1.</summary>
    internal int IndexOf(RegisteredNorn norn) =>
        _single is not null ? ReferenceEquals(_single, norn) ? 0 : -1 : _many is null ? -1 : Array.IndexOf(_many, norn);

    /// <summary>Enumerates the norns without allocating.</summary>
    /// <returns>The enumerator.</returns>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<RegisteredNorn> IEnumerable<RegisteredNorn>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Enumerates <see cref="DeviceNorns"/>.</summary>
    public struct Enumerator : IEnumerator<RegisteredNorn>
    {
        private readonly DeviceNorns _norns;
        private int _index;

        internal Enumerator(DeviceNorns norns)
        {
            _norns = norns;
            _index = -1;
        }

        /// <inheritdoc />
        public readonly RegisteredNorn Current => _norns[_index];

        readonly object IEnumerator.Current => Current;

        /// <inheritdoc />
        public bool MoveNext() => ++_index < _norns.Count;

        /// <inheritdoc />
        public void Reset() => _index = -1;

        /// <inheritdoc />
        public readonly void Dispose()
        {
        }
    }
}
