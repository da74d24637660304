using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Mimisbrunnr.Storage;

/// <summary>
/// Fans the changes of an in-process store out to its subscribers: one unbounded channel per subscriber, so that a
/// slow subscriber never holds up a writer and every subscriber sees every change in publication order. Used by
/// <see cref="InMemoryNornStore"/> and by stores whose file belongs to one host (SQLite).
/// </summary>
/// <remarks>
/// Publishers must serialise their calls to <see cref="Publish"/> in commit order (for example by publishing inside
/// their write lock); the broadcaster keeps the order it is given.
/// </remarks>
public sealed class NornChangeBroadcaster : IDisposable
{
    private readonly Lock _gate = new();
    private Subscriber[] _subscribers = [];
    private bool _disposed;

    /// <summary>The number of live subscriptions.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <summary>Sends a change to every current subscriber. Never blocks.</summary>
    /// <param name="change">The change.</param>
    public void Publish(NornChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            // Unbounded: TryWrite only fails once the subscription has ended.
            subscriber.Channel.Writer.TryWrite(change);
        }
    }

    /// <summary>
    /// Subscribes. The subscription is registered before this method returns, so no change published afterwards is
    /// missed, and ends when <paramref name="cancellationToken"/> is cancelled or its enumerator is disposed.
    /// </summary>
    /// <param name="cancellationToken">Ends the subscription.</param>
    /// <returns>The changes, in publication order.</returns>
    public IAsyncEnumerable<NornChange> Subscribe(CancellationToken cancellationToken = default)
    {
        var subscriber = new Subscriber(Channel.CreateUnbounded<NornChange>(new UnboundedChannelOptions
        {
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        }));
        lock (_gate)
        {
            if (_disposed)
            {
                subscriber.Channel.Writer.TryComplete();
            }
            else
            {
                _subscribers = [.. _subscribers, subscriber];
            }
        }

        subscriber.Registration = cancellationToken.Register(
            static state =>
            {
                var (self, s) = ((NornChangeBroadcaster, Subscriber))state!;
                self.Unsubscribe(s);
            },
            (this, subscriber));
        return ReadAsync(subscriber, cancellationToken);
    }

    /// <summary>Ends every subscription; their enumerations complete.</summary>
    public void Dispose()
    {
        Subscriber[] subscribers;
        lock (_gate)
        {
            _disposed = true;
            subscribers = _subscribers;
            _subscribers = [];
        }

        foreach (var subscriber in subscribers)
        {
            subscriber.Channel.Writer.TryComplete();
            subscriber.Registration.Dispose();
        }
    }

    private async IAsyncEnumerable<NornChange> ReadAsync(
        Subscriber subscriber,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            var reader = subscriber.Channel.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var change))
                {
                    yield return change;
                }
            }
        }
        finally
        {
            Unsubscribe(subscriber);
        }
    }

    private void Unsubscribe(Subscriber subscriber)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_subscribers, subscriber);
            if (index >= 0)
            {
                var copy = new Subscriber[_subscribers.Length - 1];
                Array.Copy(_subscribers, 0, copy, 0, index);
                Array.Copy(_subscribers, index + 1, copy, index, copy.Length - index);
                _subscribers = copy;
            }
        }

        subscriber.Channel.Writer.TryComplete();
        subscriber.Registration.Dispose();
    }

    private sealed class Subscriber(Channel<NornChange> channel)
    {
        public Channel<NornChange> Channel { get; } = channel;

        public CancellationTokenRegistration Registration { get; set; }
    }
}
