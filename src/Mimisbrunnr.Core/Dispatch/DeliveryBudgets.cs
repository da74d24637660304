using System.Collections.Concurrent;
using Mimisbrunnr.Diagnostics;

namespace Mimisbrunnr.Dispatch;

/// <summary>
/// The host's caps on what buffered events and outbound sends may hold: bytes buffered on the host
/// (<see cref="DeliveryOptions.MaxBufferedBytes"/>) and per owner (<see cref="DeliveryOptions.MaxBufferedBytesPerOwner"/>),
/// and concurrent sends per owner (<see cref="DeliveryOptions.MaxConcurrentSendsPerOwner"/>). An event that would pass a
/// byte cap is dropped for that norn (<see cref="DropReasons.HostBudget"/>, <see cref="DropReasons.OwnerBudget"/>); a
/// send over the owner's send cap waits for one of the owner's sends to finish, so one owner's slow destinations hold
/// at most that many connections and never delay another owner's norns.
/// </summary>
/// <remarks>
/// Bytes count as <see cref="QueuedEvent.Size"/> from the moment an event enters a norn's buffer until a worker takes
/// it out to send it (the sends in flight are bounded by the send cap). Limits are read when the pool starts.
/// </remarks>
internal sealed class DeliveryBudgets
{
    private readonly ConcurrentDictionary<string, OwnerBudget> _owners = new(StringComparer.Ordinal);
    private long _bufferedBytes;

    public DeliveryBudgets(long maxBufferedBytes, long maxBufferedBytesPerOwner, int maxConcurrentSendsPerOwner)
    {
        MaxBufferedBytes = maxBufferedBytes;
        MaxBufferedBytesPerOwner = maxBufferedBytesPerOwner;
        MaxConcurrentSendsPerOwner = maxConcurrentSendsPerOwner;
    }

    public DeliveryBudgets(DeliveryOptions options)
        : this(options.MaxBufferedBytes, options.MaxBufferedBytesPerOwner, options.MaxConcurrentSendsPerOwner)
    {
    }

    public long MaxBufferedBytes { get; }

    public long MaxBufferedBytesPerOwner { get; }

    public int MaxConcurrentSendsPerOwner { get; }

    /// <summary>Bytes buffered on this host now.</summary>
    public long BufferedBytes => Volatile.Read(ref _bufferedBytes);

    /// <summary>The account of one owner (created on the owner's first active norn, kept while the host runs).</summary>
    public OwnerBudget For(string owner) => _owners.GetOrAdd(owner, static (_, budgets) => new OwnerBudget(budgets), this);

    /// <summary>One owner's buffered bytes and send slots.</summary>
    internal sealed class OwnerBudget
    {
        private readonly DeliveryBudgets _host;
        private long _bufferedBytes;

        public OwnerBudget(DeliveryBudgets host)
        {
            _host = host;
            Sends = new SemaphoreSlim(host.MaxConcurrentSendsPerOwner, host.MaxConcurrentSendsPerOwner);
        }

        /// <summary>The owner's send slots: a worker holds one for each send.</summary>
        public SemaphoreSlim Sends { get; }

        /// <summary>Bytes buffered for this owner's norns now.</summary>
        public long BufferedBytes => Volatile.Read(ref _bufferedBytes);

        /// <summary>Reserves <paramref name="size"/> bytes; <see langword="null"/> when granted, else the drop reason.</summary>
        public string? TryReserve(int size)
        {
            if (Interlocked.Add(ref _host._bufferedBytes, size) > _host.MaxBufferedBytes)
            {
                Interlocked.Add(ref _host._bufferedBytes, -size);
                return DropReasons.HostBudget;
            }

            if (Interlocked.Add(ref _bufferedBytes, size) > _host.MaxBufferedBytesPerOwner)
            {
                Interlocked.Add(ref _bufferedBytes, -size);
                Interlocked.Add(ref _host._bufferedBytes, -size);
                return DropReasons.OwnerBudget;
            }

            return null;
        }

        /// <summary>Gives back bytes reserved by <see cref="TryReserve"/>.</summary>
        public void Release(long bytes)
        {
            if (bytes != 0)
            {
                Interlocked.Add(ref _bufferedBytes, -bytes);
                Interlocked.Add(ref _host._bufferedBytes, -bytes);
            }
        }
    }
}
