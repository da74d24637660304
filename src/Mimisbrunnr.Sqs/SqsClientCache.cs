using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Sqs;

/// <summary>
/// The SQS clients of this host, one per endpoint, region and credentials, least recently used first out beyond
/// <see cref="SqsDestinationOptions.ClientCacheSize"/>. A client is leased for one delivery: one evicted while leased is
/// disposed when its last lease ends; disposing the cache (host shutdown) disposes every client not leased at once and
/// the others when their lease ends.
/// </summary>
internal sealed class SqsClientCache : IDisposable
{
    private readonly ISqsClientFactory _factory;
    private readonly int _capacity;
    private readonly Lock _lock = new();
    private readonly Dictionary<SqsClientKey, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new(); // most recently used first
    private bool _disposed;

    public SqsClientCache(ISqsClientFactory factory, IOptions<SqsDestinationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        _factory = factory;
        _capacity = Math.Max(1, options.Value.ClientCacheSize);
    }

    /// <summary>How many clients are cached (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Leases the client for <paramref name="settings"/>, creating it when needed.</summary>
    /// <exception cref="ObjectDisposedException">The host is shutting down.</exception>
    public Lease Acquire(SqsClientSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        List<Entry>? evicted = null;
        Entry entry;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_entries.TryGetValue(settings.Key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                entry = node.Value;
            }
            else
            {
                entry = new Entry(settings.Key, _factory.Create(settings));
                _entries[settings.Key] = _recency.AddFirst(entry);
                while (_entries.Count > _capacity)
                {
                    var last = _recency.Last!;
                    _recency.RemoveLast();
                    _entries.Remove(last.Value.Key);
                    last.Value.Evicted = true;
                    if (last.Value.Leases == 0)
                    {
                        (evicted ??= []).Add(last.Value);
                    }
                }
            }

            entry.Leases++;
        }

        if (evicted is not null)
        {
            foreach (var old in evicted)
            {
                old.Client.Dispose();
            }
        }

        return new Lease(this, entry);
    }

    public void Dispose()
    {
        List<Entry> idle;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            idle = [];
            foreach (var entry in _recency)
            {
                entry.Evicted = true;
                if (entry.Leases == 0)
                {
                    idle.Add(entry);
                }
            }

            _entries.Clear();
            _recency.Clear();
        }

        foreach (var entry in idle)
        {
            entry.Client.Dispose();
        }
    }

    private void Release(Entry entry)
    {
        bool dispose;
        lock (_lock)
        {
            entry.Leases--;
            dispose = entry.Evicted && entry.Leases == 0;
        }

        if (dispose)
        {
            entry.Client.Dispose();
        }
    }

    /// <summary>One use of a client; disposing it ends the use.</summary>
    internal sealed class Lease : IDisposable
    {
        private SqsClientCache? _owner;
        private readonly Entry _entry;

        internal Lease(SqsClientCache owner, Entry entry)
        {
            _owner = owner;
            _entry = entry;
        }

        public ISqsClient Client => _entry.Client;

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release(_entry);
    }

    internal sealed class Entry(SqsClientKey key, ISqsClient client)
    {
        public SqsClientKey Key { get; } = key;

        public ISqsClient Client { get; } = client;

        public int Leases { get; set; }

        public bool Evicted { get; set; }
    }
}
