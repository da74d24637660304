using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Routing;

/// <summary>
/// Takes the device id out of an event with the configured <see cref="RoutingOptions.Rules"/> (PROTOCOL.md §6): the
/// first rule whose regex matches <c>dest</c> decides; a <see cref="DeviceIdRuleType.State"/> rule takes the
/// second-to-last <c>/</c> segment of <c>dest</c>, a <see cref="DeviceIdRuleType.Default"/> rule (and no matching
/// rule at all) takes <c>source</c>. The id is canonicalised, so <c>MAC:11:22:33:44:55:66/config</c> gives
/// <c>mac:112233445566</c>.
/// </summary>
internal sealed class DeviceIdExtractor
{
    /// <summary>The match timeout of the rule regexes.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    private const string EventScheme = "event:";

    private volatile CompiledRule[] _rules;
    private long _filterBudgetTicks = FromTimeSpan(TimeSpan.FromMilliseconds(25));

    /// <summary>Compiles the rules of the current options and follows their changes.</summary>
    /// <param name="options">The options.</param>
    public DeviceIdExtractor(IOptionsMonitor<MimisbrunnrOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _rules = Compile(options.CurrentValue.Routing.Rules);
        _filterBudgetTicks = FromTimeSpan(options.CurrentValue.Routing.FilterBudget);
        options.OnChange(o =>
        {
            _rules = Compile(o.Routing.Rules);
            Volatile.Write(ref _filterBudgetTicks, FromTimeSpan(o.Routing.FilterBudget));
        });
    }

    /// <summary>Creates an extractor for a fixed list of rules.</summary>
    /// <param name="rules">The rules, in order.</param>
    /// <param name="filterBudget">The filter budget of one event (default 25 ms).</param>
    public DeviceIdExtractor(IEnumerable<DeviceIdRule> rules, TimeSpan? filterBudget = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = Compile(rules);
        _filterBudgetTicks = FromTimeSpan(filterBudget ?? TimeSpan.FromMilliseconds(25));
    }

    /// <summary>The filter budget of one event (<see cref="RoutingOptions.FilterBudget"/>), in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    public long FilterBudgetTicks => Volatile.Read(ref _filterBudgetTicks);

    /// <summary>Finds the device id of an event.</summary>
    /// <param name="message">The message.</param>
    /// <param name="deviceId">The canonical device id, when found.</param>
    /// <returns>Whether a device id was found.</returns>
    public bool TryExtract(WrpMessage message, out DeviceId deviceId)
    {
        ArgumentNullException.ThrowIfNull(message);
        var dest = message.Destination;
        foreach (var rule in _rules)
        {
            bool matched;
            try
            {
                matched = rule.Regex.IsMatch(dest);
            }
            catch (RegexMatchTimeoutException)
            {
                matched = false;
            }

            if (matched)
            {
                return rule.Type == DeviceIdRuleType.State
                    ? TryFromDestination(dest, out deviceId)
                    : DeviceId.TryParse(message.Source, out deviceId);
            }
        }

        return DeviceId.TryParse(message.Source, out deviceId);
    }

    /// <summary>The event type: <c>dest</c> without a leading <c>event:</c> (scheme matched ignoring case).</summary>
    /// <param name="destination">The message's <c>dest</c>.</param>
    /// <returns>The event type, for example <c>device-status/mac:112233445566/online</c>.</returns>
    public static string GetEventType(string destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return destination.StartsWith(EventScheme, StringComparison.OrdinalIgnoreCase)
            ? destination[EventScheme.Length..]
            : destination;
    }

    /// <summary>The second-to-last <c>/</c> segment of <paramref name="dest"/> (never its first), parsed as a device id.</summary>
    private static bool TryFromDestination(string dest, out DeviceId deviceId)
    {
        var span = dest.AsSpan();
        var last = span.LastIndexOf('/');
        if (last <= 0)
        {
            deviceId = default;
            return false;
        }

        // The segment must not be the first one, which is the scheme and event name (event:device-status).
        var head = span[..last];
        var previous = head.LastIndexOf('/');
        if (previous < 0)
        {
            deviceId = default;
            return false;
        }

        return DeviceId.TryParse(head[(previous + 1)..].ToString(), out deviceId);
    }

    private static long FromTimeSpan(TimeSpan value) => (long)(value.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    private static CompiledRule[] Compile(IEnumerable<DeviceIdRule> rules) =>
        rules.Select(static r => new CompiledRule(
                new Regex(r.Regex, RegexOptions.CultureInvariant, MatchTimeout),
                r.EventType))
            .ToArray();

    private sealed record CompiledRule(Regex Regex, DeviceIdRuleType Type);
}
