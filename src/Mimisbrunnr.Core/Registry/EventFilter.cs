using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Registry;

/// <summary>
/// A norn's filter, compiled once per norn version: the event regexes (any one must match the event type; none means
/// every event) and the metadata pairs (all must be present with equal values).
/// </summary>
internal sealed class EventFilter
{
    /// <summary>The match timeout of every filter regex: a pathological pattern costs at most this per event.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>The options every filter regex is compiled with (interpreted: a million norns must not JIT a million regexes).</summary>
    public const RegexOptions Options = RegexOptions.CultureInvariant;

    /// <summary>A filter that lets nothing through (a stored filter that no longer compiles).</summary>
    public static readonly EventFilter Nothing = new([], []);

    /// <summary>How many distinct patterns <see cref="Shared"/> keeps; beyond it, patterns compile per norn.</summary>
    internal const int MaxSharedPatterns = 10_000;

    // Norns very often share patterns, and one interpreted Regex costs about a KiB: share them (Regex is thread-safe).
    private static readonly ConcurrentDictionary<string, Regex> Shared = new(StringComparer.Ordinal);

    private readonly Regex[] _events;
    private readonly KeyValuePair<string, string>[] _metadata;

    private EventFilter(Regex[] events, KeyValuePair<string, string>[] metadata)
    {
        _events = events;
        _metadata = metadata;
    }

    /// <summary>Compiles a norn filter.</summary>
    /// <param name="filter">The filter.</param>
    /// <returns>
    /// <see langword="null"/> when the filter lets every event through (so that unfiltered norns carry nothing);
    /// otherwise the compiled filter.
    /// </returns>
    /// <exception cref="ArgumentException">A regex does not compile.</exception>
    public static EventFilter? Compile(NornFilter? filter)
    {
        if (filter is null)
        {
            return null;
        }

        var events = filter.Events is { Count: > 0 } patterns
            ? patterns.Select(GetRegex).ToArray()
            : [];
        var metadata = filter.Metadata switch
        {
            CompactMetadata compact => compact.Pairs,
            { Count: > 0 } pairs => pairs.ToArray(),
            _ => [],
        };
        return events.Length == 0 && metadata.Length == 0 ? null : new EventFilter(events, metadata);
    }

    /// <summary>Compiles a pattern with the filter options, sharing one instance per distinct pattern.</summary>
    /// <param name="pattern">The pattern.</param>
    /// <returns>The regex.</returns>
    /// <exception cref="ArgumentException">The pattern does not compile.</exception>
    public static Regex GetRegex(string pattern)
    {
        if (Shared.TryGetValue(pattern, out var regex))
        {
            return regex;
        }

        regex = new Regex(pattern, Options, MatchTimeout);
        return Shared.Count < MaxSharedPatterns ? Shared.GetOrAdd(pattern, regex) : regex;
    }

    /// <summary>Whether an event passes the filter. A regex that times out counts as no match.</summary>
    /// <param name="eventType">The event type (<c>dest</c> without <c>event:</c>).</param>
    /// <param name="metadata">The message metadata.</param>
    /// <returns>Whether the event is to be delivered.</returns>
    public bool Matches(string eventType, IReadOnlyDictionary<string, string>? metadata)
    {
        if (ReferenceEquals(this, Nothing))
        {
            return false;
        }

        foreach (var (key, value) in _metadata)
        {
            if (metadata is null || !metadata.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        if (_events.Length == 0)
        {
            return true;
        }

        foreach (var regex in _events)
        {
            try
            {
                if (regex.IsMatch(eventType))
                {
                    return true;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // A pattern that takes this long on this input is treated as not matching.
            }
        }

        return false;
    }
}
