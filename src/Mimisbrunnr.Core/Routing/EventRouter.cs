using System.Diagnostics;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Routing;

/// <summary>
/// Routes a received event to the norns of its device: takes the device id out of the event, looks its norns up in
/// the registry (O(1)), skips those of other tenants (no partner id in common) or whose filter does not match (both
/// counted in <c>mimisbrunnr.filtered</c>, not drops) and those that expired (a drop, reason <c>expired</c>), and offers
/// the event to the rest through <see cref="INornEventSink.TryEnqueue"/>. Never blocks and never
/// waits for a destination.
/// </summary>
/// <remarks>
/// The router counts the event (<c>mimisbrunnr.events.received</c> by outcome) and the drops it decides itself
/// (norns expired at routing). Drops decided by the sink (full buffer, cut-off) are counted by the sink.
/// </remarks>
public sealed class EventRouter
{
    private const string OutcomeRouted = "routed";
    private const string OutcomeNoNorns = "no_norns";
    private const string OutcomeNoDeviceId = "no_device_id";

    private readonly INornRegistry _registry;
    private readonly INornEventSink _sink;
    private readonly DeviceIdExtractor _extractor;
    private readonly TimeProvider _timeProvider;
    private readonly MimisbrunnrMetrics _metrics;

    internal EventRouter(
        INornRegistry registry,
        INornEventSink sink,
        DeviceIdExtractor extractor,
        TimeProvider timeProvider,
        MimisbrunnrMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(metrics);
        _registry = registry;
        _sink = sink;
        _extractor = extractor;
        _timeProvider = timeProvider;
        _metrics = metrics;
    }

    /// <summary>Routes one decoded, validated event.</summary>
    /// <param name="message">The event.</param>
    /// <param name="defaultPartnerIds">
    /// The partner ids an event without any is treated as carrying (XMiDT's <c>customPIDs</c>); none by default, and
    /// then such an event reaches only norns of every partner (<c>*</c>) or without partner ids.
    /// </param>
    /// <returns>What happened to it.</returns>
    public RouteResult Route(WrpMessage message, IReadOnlyList<string>? defaultPartnerIds = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var activity = MimisbrunnrActivitySource.StartRouting();
        if (!_extractor.TryExtract(message, out var deviceId))
        {
            _metrics.EventReceived(OutcomeNoDeviceId);
            return new RouteResult(RouteOutcome.NoDeviceId, default, 0, 0, 0);
        }

        var norns = _registry.GetByDevice(deviceId);
        if (norns.Count == 0)
        {
            _metrics.EventReceived(OutcomeNoNorns);
            return new RouteResult(RouteOutcome.NoNorns, deviceId, 0, 0, 0);
        }

        var now = _timeProvider.GetUtcNow();
        var eventType = DeviceIdExtractor.GetEventType(message.Destination);
        var partners = message.PartnerIds is { Count: > 0 } carried ? carried : defaultPartnerIds ?? [];
        var budget = _extractor.FilterBudgetTicks;
        long spent = 0;
        RoutedEvent? routed = null;
        int matched = 0, enqueued = 0, dropped = 0, expired = 0, otherPartner = 0, filtered = 0, overBudget = 0;

        // A lone norn without filter or partner ids, as the registry summarised it: no check reads the norn, and its
        // expiry is read only when the summary cannot rule it out (with a million norns, one memory miss less).
        var plainUntil = norns.PlainUntilTicks;
        for (var i = 0; i < norns.Count; i++)
        {
            var norn = norns[i];
            if (plainUntil == 0)
            {
                if (!norn.AcceptsPartners(partners))
                {
                    otherPartner++;
                    continue;
                }

                bool wanted;
                if (norn.HasFilterPatterns)
                {
                    if (spent >= budget)
                    {
                        overBudget++;
                        continue;
                    }

                    var started = Stopwatch.GetTimestamp();
                    wanted = norn.Matches(eventType, message.Metadata);
                    spent += Stopwatch.GetTimestamp() - started;
                }
                else
                {
                    wanted = norn.Matches(eventType, message.Metadata);
                }

                if (!wanted)
                {
                    filtered++;
                    _sink.Filtered(norn);
                    continue;
                }
            }

            if (now.UtcTicks >= plainUntil && norn.IsExpired(now))
            {
                expired++;
                continue;
            }

            matched++;
            routed ??= new RoutedEvent(message, deviceId, eventType, now);
            if (_sink.TryEnqueue(norn, routed) == EnqueueOutcome.Enqueued)
            {
                enqueued++;
            }
            else
            {
                dropped++;
            }
        }

        _metrics.Dropped(DropReasons.Expired, expired);
        _metrics.Dropped(DropReasons.FilterBudget, overBudget);
        _metrics.Filtered(FilterReasons.Partner, otherPartner);
        _metrics.Filtered(FilterReasons.Filter, filtered);
        _metrics.EventReceived(OutcomeRouted);
        MimisbrunnrActivitySource.Routed(activity, matched, enqueued, dropped + expired + overBudget);
        return new RouteResult(RouteOutcome.Routed, deviceId, matched, enqueued, dropped + expired + overBudget);
    }
}
