using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using MessagePack;

namespace Mimisbrunnr.Wrp;

/// <summary>
/// The metadata of a message decoded from msgpack, read over the message's bytes: the key and value strings are
/// created one by one, when asked for. Routing looks at most a few keys up (a norn's metadata filter), so an event
/// need not create its whole metadata map.
/// </summary>
/// <remarks>
/// <para>
/// It behaves as the <see cref="OrderedDictionary{TKey, TValue}"/> an eager decode builds (wrp-go's map assignment):
/// entries in wire order, a repeated key in its first position with its last value, ordinal keys. Keys are compared
/// on their bytes: two keys are the same string exactly when they are the same bytes (the decoder's surrogate escapes
/// map bytes to strings one to one). A lookup compares an ASCII key with the bytes directly, and any other key with the
/// created key string.
/// </para>
/// <para>
/// Thread-safe: every string is created at most once per racing thread and published with
/// <see cref="Interlocked.CompareExchange{T}(ref T, T, T)"/>; all readers see the published one.
/// </para>
/// </remarks>
internal sealed class WrpWireMetadata : IReadOnlyDictionary<string, string>
{
    /// <summary>Maps up to this size are read over the bytes (a lookup is a linear scan); larger ones are built eagerly.</summary>
    public const int MaxEntries = 16;

    private readonly byte[] _wire;

    /// <summary>Per entry: the offset and length of the key's bytes, then of the value's (content only).</summary>
    private readonly int[] _slices;

    /// <summary>Per entry: the key string (at 2i) and the value string (at 2i + 1), null until created.</summary>
    private readonly string?[] _strings;

    private WrpWireMetadata(byte[] wire, int[] slices, int count)
    {
        _wire = wire;
        _slices = slices;
        Count = count;
        _strings = new string?[count * 2];
    }

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public IEnumerable<string> Keys
    {
        get
        {
            for (var i = 0; i < Count; i++)
            {
                yield return Key(i);
            }
        }
    }

    /// <inheritdoc />
    public IEnumerable<string> Values
    {
        get
        {
            for (var i = 0; i < Count; i++)
            {
                yield return Value(i);
            }
        }
    }

    /// <inheritdoc />
    public string this[string key] =>
        TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The metadata has no key \"{key}\".");

    /// <summary>
    /// The metadata map at <paramref name="at"/> in <paramref name="wire"/>, a map of str to str the decoder accepted:
    /// a view over the bytes, or for a large map the eager dictionary.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Create(byte[] wire, int at)
    {
        var reader = new MessagePackReader(wire.AsMemory(at));
        var count = reader.ReadMapHeader();
        if (count > MaxEntries)
        {
            return Eager(ref reader, count);
        }

        var slices = new int[count * 4];
        var distinct = 0;
        for (var i = 0; i < count; i++)
        {
            reader.TryReadStringSpan(out var key);
            var keyStart = at + (int)reader.Consumed - key.Length;
            reader.TryReadStringSpan(out var value);
            var valueStart = at + (int)reader.Consumed - value.Length;

            // A repeated key keeps its first position and takes the last value.
            var entry = 0;
            while (entry < distinct && !key.SequenceEqual(wire.AsSpan(slices[entry * 4], slices[(entry * 4) + 1])))
            {
                entry++;
            }

            if (entry == distinct)
            {
                slices[entry * 4] = keyStart;
                slices[(entry * 4) + 1] = key.Length;
                distinct++;
            }

            slices[(entry * 4) + 2] = valueStart;
            slices[(entry * 4) + 3] = value.Length;
        }

        return new WrpWireMetadata(wire, slices, distinct);
    }

    /// <summary>The bytes of the key of entry <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> KeyBytes(int index) => _wire.AsSpan(_slices[index * 4], _slices[(index * 4) + 1]);

    /// <summary>The bytes of the value of entry <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> ValueBytes(int index) => _wire.AsSpan(_slices[(index * 4) + 2], _slices[(index * 4) + 3]);

    /// <summary>The key of entry <paramref name="index"/>, created on first use.</summary>
    public string Key(int index) =>
        Volatile.Read(ref _strings[index * 2]) ?? Publish(ref _strings[index * 2], KeyBytes(index));

    /// <summary>The value of entry <paramref name="index"/>, created on first use.</summary>
    public string Value(int index) =>
        Volatile.Read(ref _strings[(index * 2) + 1]) ?? Publish(ref _strings[(index * 2) + 1], ValueBytes(index));

    /// <inheritdoc />
    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        var index = IndexOf(key);
        value = index >= 0 ? Value(index) : null;
        return index >= 0;
    }

    /// <summary>An enumerator over the entries in wire order (a struct: enumerating the concrete type allocates nothing).</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <inheritdoc />
    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static OrderedDictionary<string, string> Eager(ref MessagePackReader reader, int count)
    {
        var metadata = new OrderedDictionary<string, string>(count);
        for (var i = 0; i < count; i++)
        {
            reader.TryReadStringSpan(out var key);
            var keyString = WrpMsgPackUtf8.Decode(key);
            reader.TryReadStringSpan(out var value);
            metadata[keyString] = WrpMsgPackUtf8.Decode(value);
        }

        return metadata;
    }

    private static string Publish(ref string? slot, ReadOnlySpan<byte> utf8)
    {
        var value = WrpMsgPackUtf8.Decode(utf8);
        return Interlocked.CompareExchange(ref slot, value, null) ?? value;
    }

    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        for (var i = 0; i < Count; i++)
        {
            var bytes = KeyBytes(i);

            // ASCII bytes decode to the same chars; other bytes are compared as the string they decode to.
            if (Ascii.IsValid(bytes) ? Ascii.Equals(bytes, key) : string.Equals(Key(i), key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Enumerates the entries in wire order.</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<string, string>>
    {
        private readonly WrpWireMetadata _metadata;
        private int _index;

        internal Enumerator(WrpWireMetadata metadata)
        {
            _metadata = metadata;
            _index = -1;
        }

        /// <inheritdoc />
        public readonly KeyValuePair<string, string> Current => new(_metadata.Key(_index), _metadata.Value(_index));

        /// <inheritdoc />
        readonly object IEnumerator.Current => Current;

        /// <inheritdoc />
        public bool MoveNext() => ++_index < _metadata.Count;

        /// <inheritdoc />
        public void Reset() => _index = -1;

        /// <inheritdoc />
        public readonly void Dispose()
        {
        }
    }
}
