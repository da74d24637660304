using System.Diagnostics.CodeAnalysis;

namespace Mimisbrunnr.Registry;

/// <summary>
/// A read-only dictionary over a small array of pairs (a filter has at most 16): a fraction of the memory of a
/// <see cref="Dictionary{TKey, TValue}"/>, which matters when a million norns sit in the registry.
/// </summary>
internal sealed class CompactMetadata : IReadOnlyDictionary<string, string>
{
    public CompactMetadata(KeyValuePair<string, string>[] pairs) => Pairs = pairs;

    /// <summary>The pairs (shared with the compiled filter; never modified).</summary>
    public KeyValuePair<string, string>[] Pairs { get; }

    public int Count => Pairs.Length;

    public IEnumerable<string> Keys => Pairs.Select(static p => p.Key);

    public IEnumerable<string> Values => Pairs.Select(static p => p.Value);

    public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        foreach (var pair in Pairs)
        {
            if (string.Equals(pair.Key, key, StringComparison.Ordinal))
            {
                value = pair.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)Pairs).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
