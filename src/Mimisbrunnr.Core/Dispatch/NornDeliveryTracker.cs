using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Dispatch;

/// <summary>
/// The delivery figures of one active norn: counts since its dispatcher started, the last success and failure, and a
/// ring of its last <see cref="AttemptCapacity"/> attempts. Owned by the norn's <see cref="NornDispatcher"/> and gone
/// with it when the dispatcher retires, so an idle norn costs nothing here (see <see cref="NornDeliveryStatus"/>).
/// </summary>
/// <remarks>
/// Counters are updated with interlocked operations by the routing threads (filtered, cut-off drops) and the norn's
/// workers; the attempt ring, written only by the workers, takes a lock. Readers (the status endpoints, the dashboard,
/// the gauges) see a consistent-enough snapshot: each figure is exact, the figures are not read atomically together.
/// </remarks>
internal sealed class NornDeliveryTracker : IDeliveryAttemptObserver
{
    /// <summary>How many attempts are kept per active norn.</summary>
    public const int AttemptCapacity = 20;

    /// <summary>The drop reasons reported per norn, in <see cref="NornDeliveryStatus.Dropped"/> order.</summary>
    internal static readonly string[] DropReasonOrder =
        [
            DropReasons.QueueFull, DropReasons.CutOff, DropReasons.Expired, DropReasons.Deleted, DropReasons.Shutdown,
            DropReasons.HostBudget, DropReasons.OwnerBudget,
        ];

    private readonly MimisbrunnrMetrics _metrics;
    private readonly string _destinationType;
    private readonly long[] _dropped = new long[DropReasonOrder.Length];
    private readonly Lock _ringLock = new();
    private long _delivered;
    private long _failed;
    private long _filtered;
    private long _cutOffs;
    private long _lastSuccessTicks;
    private NornDeliveryFailure? _lastFailure;
    private volatile bool _failing;
    private DeliveryAttempt[]? _ring;
    private int _ringNext;
    private int _ringCount;

    /// <summary>
    /// What the norn's sender keeps between sends while the norn is active (the HTTP sender: its signer), disposed when
    /// the dispatcher exits; a field, so that a send can take and return it with one interlocked operation.
    /// </summary>
#pragma warning disable SA1401, CA1051 // Taken and returned by reference (Interlocked) by the sender.
    internal object? SenderState;
#pragma warning restore SA1401, CA1051

    public NornDeliveryTracker(MimisbrunnrMetrics metrics, string destinationType, DateTimeOffset since)
    {
        _metrics = metrics;
        _destinationType = destinationType;
        Since = since;
    }

    /// <summary>When counting started (the dispatcher's creation).</summary>
    public DateTimeOffset Since { get; }

    /// <summary>Whether the last send failed entirely and none succeeded since.</summary>
    public bool IsFailing => _failing;

    /// <summary>The last failed attempt, if any.</summary>
    public NornDeliveryFailure? LastFailure => Volatile.Read(ref _lastFailure);

    /// <inheritdoc />
    public void OnAttempt(in DeliveryAttempt attempt)
    {
        _metrics.Attempted(_destinationType, attempt.Succeeded);
        if (!attempt.Succeeded)
        {
            Volatile.Write(ref _lastFailure, new NornDeliveryFailure
            {
                At = attempt.StartedAt,
                StatusCode = attempt.StatusCode,
                Error = attempt.Error,
            });
        }

        lock (_ringLock)
        {
            // Allocated on the first attempt: a dispatcher whose sends never start (no sender) keeps none.
            _ring ??= new DeliveryAttempt[AttemptCapacity];
            _ring[_ringNext] = attempt;
            _ringNext = (_ringNext + 1) % AttemptCapacity;
            if (_ringCount < AttemptCapacity)
            {
                _ringCount++;
            }
        }
    }

    /// <summary>Counts dropped events; <see cref="DropReasons.Failed"/> counts as <see cref="NornDeliveryStatus.Failed"/>.</summary>
    public void Dropped(string reason, long count)
    {
        if (count <= 0)
        {
            return;
        }

        if (reason == DropReasons.Failed)
        {
            Interlocked.Add(ref _failed, count);
            return;
        }

        var index = Array.IndexOf(DropReasonOrder, reason);
        if (index >= 0)
        {
            Interlocked.Add(ref _dropped[index], count);
        }
    }

    /// <summary>An event of the norn's device did not pass its filter.</summary>
    public void Filtered() => Interlocked.Increment(ref _filtered);

    /// <summary>A cut-off began.</summary>
    public void CutOff() => Interlocked.Increment(ref _cutOffs);

    /// <summary>A send finished with <paramref name="delivered"/> events accepted (and perhaps some failed).</summary>
    public void Delivered(long delivered, DateTimeOffset at)
    {
        if (delivered <= 0)
        {
            return;
        }

        Interlocked.Add(ref _delivered, delivered);
        Volatile.Write(ref _lastSuccessTicks, at.UtcTicks);
        _failing = false;
    }

    /// <summary>
    /// A send failed entirely. When the sender reported no failed attempt during it (a sender that reports none, or one
    /// that failed before trying), the failure is recorded with <paramref name="error"/>.
    /// </summary>
    public void SendFailed(DateTimeOffset sendStartedAt, string error)
    {
        _failing = true;
        if (Volatile.Read(ref _lastFailure) is not { } last || last.At < sendStartedAt)
        {
            Volatile.Write(ref _lastFailure, new NornDeliveryFailure { At = sendStartedAt, Error = error });
        }
    }

    /// <summary>The status as the API shows it.</summary>
    public NornDeliveryStatus ToStatus(string instance, string state, int queued, DateTimeOffset? cutOffUntil)
    {
        var dropped = new Dictionary<string, long>(DropReasonOrder.Length, StringComparer.Ordinal);
        for (var i = 0; i < DropReasonOrder.Length; i++)
        {
            dropped[DropReasonOrder[i]] = Interlocked.Read(ref _dropped[i]);
        }

        var lastSuccess = Volatile.Read(ref _lastSuccessTicks);
        return new NornDeliveryStatus
        {
            Instance = instance,
            State = state,
            Since = Since,
            CutOffUntil = cutOffUntil,
            Queued = queued,
            Delivered = Interlocked.Read(ref _delivered),
            Failed = Interlocked.Read(ref _failed),
            Dropped = dropped,
            Filtered = Interlocked.Read(ref _filtered),
            CutOffs = Interlocked.Read(ref _cutOffs),
            LastSuccessAt = lastSuccess == 0 ? null : new DateTimeOffset(lastSuccess, TimeSpan.Zero),
            LastFailure = LastFailure,
        };
    }

    /// <summary>The kept attempts, newest first.</summary>
    public IReadOnlyList<NornDeliveryAttempt> Attempts()
    {
        DeliveryAttempt[] copy;
        lock (_ringLock)
        {
            if (_ring is null || _ringCount == 0)
            {
                return [];
            }

            copy = new DeliveryAttempt[_ringCount];
            for (var i = 0; i < _ringCount; i++)
            {
                copy[i] = _ring[(_ringNext - 1 - i + AttemptCapacity) % AttemptCapacity];
            }
        }

        var attempts = new NornDeliveryAttempt[copy.Length];
        for (var i = 0; i < copy.Length; i++)
        {
            var a = copy[i];
            attempts[i] = new NornDeliveryAttempt
            {
                At = a.StartedAt,
                Attempt = a.Number,
                Succeeded = a.Succeeded,
                StatusCode = a.StatusCode,
                Error = a.Error,
                DurationMs = Math.Round(a.Duration.TotalMilliseconds, 3),
                TransactionId = string.IsNullOrEmpty(a.TransactionId) ? null : a.TransactionId,
                Events = a.Events,
            };
        }

        return attempts;
    }
}
