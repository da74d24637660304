using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Registry;

/// <summary>
/// A norn's filter, compiled once per norn version: the event regexes (any one must match the event type; none means
/// every event) and the metadata pairs (all must be present with equal values).
/// </summary>
/// <remarks>
/// Filters are written by tenants and run inside <c>/events</c>, so they must not be able to stall it: every pattern
/// runs on .NET's non-backtracking engine (time linear in the input, whatever the pattern), with a small per-match
/// timeout behind that, and the router caps the time one event may spend in filters. Patterns that engine cannot run
/// (backreferences, lookarounds, atomic groups, conditionals) are refused at registration.
/// </remarks>
internal sealed class EventFilter
{
    /// <summary>
    /// The timeout of one match: a second line behind the linear-time engine (whose first matches of a pattern also
    /// build its automaton, which on a loaded machine took over 10 ms).
    /// </summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);

    /// <summary>The options every filter regex is compiled with.</summary>
    public const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    /// <summary>A filter that lets nothing through (a stored filter that no longer compiles).</summary>
    public static readonly EventFilter Nothing = new([], []);

    // One Regex per distinct pattern on this host, however many norns use it (a NonBacktracking regex costs a few KiB
    // and grows its state cache with use). Weak, so that a pattern no norn uses any more can go; norns hold it strongly.
    private static readonly ConcurrentDictionary<string, WeakReference<Regex>> Shared = new(StringComparer.Ordinal);
    private static int _insertsSincePurge;

    private readonly Regex[] _events;
    private readonly KeyValuePair<string, string>[] _metadata;

    private EventFilter(Regex[] events, KeyValuePair<string, string>[] metadata)
    {
        _events = events;
        _metadata = metadata;
    }

    /// <summary>Whether the filter has event regexes (whose matching the router times).</summary>
    public bool HasPatterns => _events.Length > 0;

    /// <summary>Compiles a norn filter.</summary>
    /// <param name="filter">The filter.</param>
    /// <returns>
    /// <see langword="null"/> when the filter lets every event through (so that unfiltered norns carry nothing);
    /// otherwise the compiled filter.
    /// </returns>
    /// <exception cref="ArgumentException">A regex does not compile.</exception>
    /// <exception cref="NotSupportedException">A regex uses a construct the non-backtracking engine cannot run.</exception>
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

    /// <summary>Compiles a pattern with the filter options, sharing one instance per distinct pattern on this host.</summary>
    /// <param name="pattern">The pattern.</param>
    /// <returns>The regex.</returns>
    /// <exception cref="ArgumentException">The pattern does not compile.</exception>
    /// <exception cref="NotSupportedException">The pattern uses a construct the non-backtracking engine cannot run.</exception>
    public static Regex GetRegex(string pattern)
    {
        if (Shared.TryGetValue(pattern, out var weak) && weak.TryGetTarget(out var regex))
        {
            return regex;
        }

        regex = new Regex(pattern, Options, MatchTimeout);
        var entry = Shared.AddOrUpdate(
            pattern,
            static (_, r) => new WeakReference<Regex>(r),
            static (_, existing, r) => existing.TryGetTarget(out var alive) && alive is not null ? existing : new WeakReference<Regex>(r),
            regex);
        if (Interlocked.Increment(ref _insertsSincePurge) >= 4096)
        {
            PurgeCollected();
        }

        return entry.TryGetTarget(out var shared) ? shared : regex;
    }

    /// <summary>Checks that a pattern can run as a filter: compiles on the non-backtracking engine.</summary>
    /// <param name="pattern">The pattern.</param>
    /// <returns><see langword="null"/> when it can; otherwise the rule broken and why, for a person.</returns>
    public static (string Rule, string Reason)? Check(string pattern)
    {
        try
        {
            _ = GetRegex(pattern);
            return null;
        }
        catch (ArgumentException ex)
        {
            return ("regex", "is not a valid regular expression: " + ex.Message);
        }
        catch (NotSupportedException ex)
        {
            return ("linearTime", "uses what a linear-time regular expression cannot express (backreferences, lookarounds, "
                + "atomic groups, conditionals): " + ex.Message);
        }
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

    private static void PurgeCollected()
    {
        Volatile.Write(ref _insertsSincePurge, 0);
        foreach (var pair in Shared)
        {
            if (!pair.Value.TryGetTarget(out _))
            {
                Shared.TryRemove(pair);
            }
        }
    }
}
