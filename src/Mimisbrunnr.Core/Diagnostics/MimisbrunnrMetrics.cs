using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mimisbrunnr.Diagnostics;

/// <summary>
/// The <c>Mimisbrunnr</c> meter: events received, deliveries, drops, cut-offs, queue depth, active norns and delivery
/// duration. Created through <see cref="IMeterFactory"/> so that tests can observe it per container.
/// </summary>
internal sealed class MimisbrunnrMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = MimisbrunnrTelemetry.MeterName;

    private readonly Counter<long> _eventsReceived;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _drops;
    private readonly Counter<long> _cutOffs;
    private readonly Counter<long> _filtered;
    private readonly Counter<long> _dnsLookups;
    private readonly UpDownCounter<long> _queueDepth;
    private readonly Histogram<double> _deliveryDuration;
    private readonly Counter<long> _attempts;
    private long _bufferedEvents;
    private long _bufferedBytes;

    /// <summary>Creates the instruments.</summary>
    /// <param name="meterFactory">The host's meter factory.</param>
    public MimisbrunnrMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _eventsReceived = Meter.CreateCounter<long>(
            "mimisbrunnr.events.received", "{event}", "Events received, by outcome (routed, no_norns, no_device_id).");
        _deliveries = Meter.CreateCounter<long>(
            "mimisbrunnr.deliveries", "{delivery}", "Delivery attempts that finished, by destination type and outcome.");
        _drops = Meter.CreateCounter<long>(
            "mimisbrunnr.drops", "{event}", "Events dropped, by reason (queue_full, cut_off, expired, deleted, shutdown, failed, filter_budget, host_budget, owner_budget).");
        _cutOffs = Meter.CreateCounter<long>("mimisbrunnr.cutoffs", "{cutoff}", "Norns cut off because their buffer was full.");
        _filtered = Meter.CreateCounter<long>(
            "mimisbrunnr.filtered",
            "{event}",
            "Events not offered to a norn of their device, by reason: filter (the norn's filter did not match) or partner (no partner id in common); not drops.");
        _dnsLookups = Meter.CreateCounter<long>(
            "mimisbrunnr.dns.lookups",
            "{lookup}",
            "Host name lookups of the delivery side, by outcome: ok, failed, timeout (past Mimisbrunnr:Destinations:DnsTimeout) or busy (no lookup slot free within it).");
        _queueDepth = Meter.CreateUpDownCounter<long>("mimisbrunnr.queue.depth", "{event}", "Events buffered across all norns.");
        _deliveryDuration = Meter.CreateHistogram<double>(
            "mimisbrunnr.delivery.duration", "s", "Duration of one delivery, retries included, by destination type and outcome.");
        _attempts = Meter.CreateCounter<long>(
            "mimisbrunnr.delivery.attempts", "{attempt}", "Delivery attempts (each try of a retry loop, each SQS request), by destination type and outcome (success, failure).");
        Meter.CreateObservableGauge(
            "mimisbrunnr.queue.bytes",
            () => Volatile.Read(ref _bufferedBytes),
            "By",
            "Size of the events buffered across all norns: per buffered entry, the event's payload bytes plus the characters of its WRP text fields.");
    }

    /// <summary>The meter (for observable instruments added by other components).</summary>
    public Meter Meter { get; }

    /// <summary>Counts a received event.</summary>
    /// <param name="outcome"><c>routed</c>, <c>no_norns</c> or <c>no_device_id</c>.</param>
    public void EventReceived(string outcome)
    {
        if (_eventsReceived.Enabled)
        {
            _eventsReceived.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    /// <summary>Counts a finished delivery and records its duration.</summary>
    /// <param name="destinationType"><c>http</c> or <c>sqs</c>.</param>
    /// <param name="outcome"><c>success</c>, <c>failure</c> or <c>gone</c>.</param>
    /// <param name="duration">How long it took, retries included.</param>
    public void Delivered(string destinationType, string outcome, TimeSpan duration)
    {
        if (_deliveries.Enabled || _deliveryDuration.Enabled)
        {
            var tags = new TagList
            {
                { "destination.type", destinationType },
                { "outcome", outcome },
            };
            _deliveries.Add(1, tags);
            _deliveryDuration.Record(duration.TotalSeconds, tags);
        }
    }

    /// <summary>Counts dropped events.</summary>
    /// <param name="reason"><c>queue_full</c>, <c>cut_off</c>, <c>expired</c>, <c>deleted</c>, <c>shutdown</c>, <c>failed</c>, <c>filter_budget</c>, <c>host_budget</c> or <c>owner_budget</c>.</param>
    /// <param name="count">How many.</param>
    public void Dropped(string reason, long count = 1)
    {
        if (count > 0 && _drops.Enabled)
        {
            _drops.Add(count, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    /// <summary>Counts events a norn of their device did not want.</summary>
    /// <param name="reason"><c>filter</c> or <c>partner</c>.</param>
    /// <param name="count">How many norns turned the event away for that reason.</param>
    public void Filtered(string reason, long count)
    {
        if (count > 0 && _filtered.Enabled)
        {
            _filtered.Add(count, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    /// <summary>Counts a host name lookup.</summary>
    /// <param name="outcome"><c>ok</c>, <c>failed</c>, <c>timeout</c> or <c>busy</c>.</param>
    public void DnsLookup(string outcome)
    {
        if (_dnsLookups.Enabled)
        {
            _dnsLookups.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    /// <summary>Counts a cut-off.</summary>
    public void CutOff() => _cutOffs.Add(1);

    /// <summary>Tracks the number of buffered events.</summary>
    /// <param name="delta">The change.</param>
    public void QueueDepthChanged(long delta) => QueueChanged(delta, 0);

    /// <summary>Tracks the number and size of buffered events.</summary>
    /// <param name="events">The change of the number of buffered events.</param>
    /// <param name="bytes">The change of their size (payload bytes plus the characters of the WRP text fields, per buffered entry).</param>
    public void QueueChanged(long events, long bytes)
    {
        _queueDepth.Add(events);
        Interlocked.Add(ref _bufferedEvents, events);
        if (bytes != 0)
        {
            Interlocked.Add(ref _bufferedBytes, bytes);
        }
    }

    /// <summary>Events buffered across all norns now.</summary>
    public long BufferedEvents => Volatile.Read(ref _bufferedEvents);

    /// <summary>Size of the events buffered across all norns now (payload bytes plus the characters of the WRP text fields, per buffered entry).</summary>
    public long BufferedBytes => Volatile.Read(ref _bufferedBytes);

    /// <summary>Counts one delivery attempt.</summary>
    /// <param name="destinationType"><c>http</c> or <c>sqs</c>.</param>
    /// <param name="succeeded">Whether the destination accepted it.</param>
    public void Attempted(string destinationType, bool succeeded)
    {
        if (_attempts.Enabled)
        {
            _attempts.Add(
                1,
                new KeyValuePair<string, object?>("destination.type", destinationType),
                new KeyValuePair<string, object?>("outcome", succeeded ? "success" : "failure"));
        }
    }
}
