using Mimisbrunnr.Client.Verification;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.ConsumerSample;

/// <summary>One verified delivery.</summary>
/// <param name="Delivery">What arrived, with its headers.</param>
/// <param name="Message">The decoded WRP message; <see langword="null"/> for a <c>payload</c> norn.</param>
public sealed record ReceivedDelivery(VerifiedDelivery Delivery, WrpMessage? Message);

/// <summary>The latest verified deliveries and cut-off notices, with duplicates (retries) recognised by their webhook id.</summary>
public sealed class ReceivedDeliveries
{
    private const int Keep = 100;
    private readonly Lock _lock = new();
    private readonly Queue<ReceivedDelivery> _deliveries = new();
    private readonly HashSet<string> _seenIds = new(StringComparer.Ordinal);
    private readonly Queue<string> _seenOrder = new();
    private readonly List<NornCutOffMessage> _cutOffs = [];

    /// <summary>The latest deliveries, oldest first.</summary>
    public IReadOnlyList<ReceivedDelivery> Deliveries
    {
        get
        {
            lock (_lock)
            {
                return [.. _deliveries];
            }
        }
    }

    /// <summary>The cut-off notices received.</summary>
    public IReadOnlyList<NornCutOffMessage> CutOffs
    {
        get
        {
            lock (_lock)
            {
                return [.. _cutOffs];
            }
        }
    }

    /// <summary>Records a delivery unless one with the same webhook id was recorded already.</summary>
    /// <returns><see langword="false"/> for a duplicate.</returns>
    public bool TryAdd(ReceivedDelivery delivery)
    {
        lock (_lock)
        {
            if (delivery.Delivery.WebhookId is { } id)
            {
                if (!_seenIds.Add(id))
                {
                    return false;
                }

                _seenOrder.Enqueue(id);
                if (_seenOrder.Count > 10 * Keep)
                {
                    _seenIds.Remove(_seenOrder.Dequeue());
                }
            }

            _deliveries.Enqueue(delivery);
            if (_deliveries.Count > Keep)
            {
                _deliveries.Dequeue();
            }

            return true;
        }
    }

    /// <summary>Records a cut-off notice.</summary>
    public void Add(NornCutOffMessage message)
    {
        lock (_lock)
        {
            _cutOffs.Add(message);
        }
    }
}
