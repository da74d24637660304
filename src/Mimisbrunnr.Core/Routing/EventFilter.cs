using System.Text.RegularExpressions;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Routing;

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
    public static readonly EventFilter Nothing = new([], [], matchesNothing: true);

    private readonly Regex[] _events;
    private readonly KeyValuePair<string, string>[] _metadata;
    private readonly bool _matchesNothing;

    private EventFilter(Regex[] events, KeyValuePair<string, string>[] metadata, bool matchesNothing)
    {
        _events = events;
        _metadata = metadata;
        _matchesNothing = matchesNothing;
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
            ? patterns.Select(static p => new Regex(p, Options, MatchTimeout)).ToArray()
            : [];
        var metadata = filter.Metadata is { Count: > 0 } pairs ? pairs.ToArray() : [];
        return events.Length == 0 && metadata.Length == 0 ? null : new EventFilter(events, metadata, matchesNothing: false);
    }

    /// <summary>Whether an event passes the filter. A regex that times out counts as no match.</summary>
    /// <param name="eventType">The event type (<c>dest</c> without <c>event:</c>).</param>
    /// <param name="metadata">The message metadata.</param>
    /// <returns>Whether the event is to be delivered.</returns>
    public bool Matches(string eventType, IReadOnlyDictionary<string, string>? metadata)
    {
        if (_matchesNothing)
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
