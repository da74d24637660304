using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Routing;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Tests.Norns;

/// <summary>An options monitor over one fixed instance.</summary>
internal sealed class StaticOptionsMonitor(MimisbrunnrOptions value) : IOptionsMonitor<MimisbrunnrOptions>
{
    public StaticOptionsMonitor()
        : this(new MimisbrunnrOptions())
    {
    }

    public MimisbrunnrOptions CurrentValue { get; } = value;

    public MimisbrunnrOptions Get(string? name) => CurrentValue;

    public IDisposable? OnChange(Action<MimisbrunnrOptions, string?> listener) => null;
}

/// <summary>Refuses the URLs whose host is in <see cref="Refused"/>, recording every URL it was asked about.</summary>
internal sealed class FakeDestinationGuard : IDestinationGuard
{
    public HashSet<string> Refused { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<Uri> Checked { get; } = [];

    public ValueTask<DestinationRefusal?> CheckAsync(Uri url, CancellationToken cancellationToken = default)
    {
        Checked.Add(url);
        return ValueTask.FromResult(
            Refused.Contains(url.Host) ? new DestinationRefusal("network", $"{url.Host} resolves to a private address") : null);
    }
}

/// <summary>Records what it is offered and answers with <see cref="Outcome"/>.</summary>
internal sealed class RecordingSink : INornEventSink
{
    public ConcurrentQueue<(RegisteredNorn Norn, RoutedEvent Event)> Offered { get; } = new();

    public EnqueueOutcome Outcome { get; set; } = EnqueueOutcome.Enqueued;

    public EnqueueOutcome TryEnqueue(RegisteredNorn norn, RoutedEvent routedEvent)
    {
        Offered.Enqueue((norn, routedEvent));
        return Outcome;
    }
}

/// <summary>A store whose change feed the test writes, over an in-memory store that holds the norns.</summary>
internal sealed class ScriptedFeedStore : INornStore
{
    private readonly Channel<NornChange> _feed = Channel.CreateUnbounded<NornChange>();

    public InMemoryNornStore Inner { get; } = new();

    public int Subscriptions { get; private set; }

    public void Emit(NornChange change) => _feed.Writer.TryWrite(change);

    public ValueTask<NornWriteResult> UpsertAsync(Norn norn, NornQuotas quotas, CancellationToken cancellationToken = default) =>
        Inner.UpsertAsync(norn, quotas, cancellationToken);

    public ValueTask<Norn?> GetAsync(string id, CancellationToken cancellationToken = default) => Inner.GetAsync(id, cancellationToken);

    public ValueTask<bool> DeleteAsync(string id, string? owner, CancellationToken cancellationToken = default) =>
        Inner.DeleteAsync(id, owner, cancellationToken);

    public ValueTask<NornPage> ListAsync(NornQuery query, CancellationToken cancellationToken = default) =>
        Inner.ListAsync(query, cancellationToken);

    public IAsyncEnumerable<Norn> LoadActiveAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Inner.LoadActiveAsync(now, cancellationToken);

    public ValueTask<IReadOnlyList<string>> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Inner.DeleteExpiredAsync(now, cancellationToken);

    public IAsyncEnumerable<NornChange> WatchAsync(CancellationToken cancellationToken = default)
    {
        Subscriptions++;
        return ReadAsync(cancellationToken);
    }

    public ValueTask PingAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    private async IAsyncEnumerable<NornChange> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await _feed.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_feed.Reader.TryRead(out var change))
            {
                yield return change;
            }
        }
    }
}

/// <summary>Builds norns and metrics for tests.</summary>
internal static class TestNorns
{
    public static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static Norn Make(
        string deviceId,
        string url,
        string owner = "alice",
        DateTimeOffset? now = null,
        TimeSpan? ttl = null,
        NornFilter? filter = null)
    {
        var at = now ?? T0;
        return new Norn
        {
            Id = NornIdentity.Derive(deviceId, url),
            DeviceId = deviceId,
            Owner = owner,
            Destination = new NornDestination { Http = new HttpDestination { Url = url } },
            Filter = filter,
            ExpiresAt = at + (ttl ?? TimeSpan.FromHours(1)),
            CreatedAt = at,
            UpdatedAt = at,
        };
    }

    public static MimisbrunnrMetrics Metrics() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
}

/// <summary>Collects the measurements of one meter instance's counters, by instrument name and tag.</summary>
internal sealed class CounterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);

    public CounterRecorder(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                key += $"|{tag.Key}={tag.Value}";
            }

            _totals.AddOrUpdate(key, value, (_, old) => old + value);
        });
        _listener.Start();
    }

    public long this[string key] => _totals.GetValueOrDefault(key);

    public void Dispose() => _listener.Dispose();
}
