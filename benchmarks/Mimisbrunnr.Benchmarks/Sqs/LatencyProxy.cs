using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mimisbrunnr.Benchmarks.Sqs;

/// <summary>
/// A TCP forwarder on 127.0.0.1 that holds every chunk of bytes, in each direction, for a fixed one-way delay before
/// passing it on, in order: a network with that latency and no bandwidth limit between a client and a local server.
/// Used to put the round trip of a real network (this machine's kernel has no netem) between the SQS sender and the
/// emulator.
/// </summary>
internal sealed class LatencyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly TimeSpan _oneWay;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    /// <summary>Starts forwarding to <paramref name="target"/>, each direction delayed by <paramref name="oneWay"/>.</summary>
    public LatencyProxy(IPEndPoint target, TimeSpan oneWay)
    {
        _target = target;
        _oneWay = oneWay;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The port the proxy listens on (127.0.0.1).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (client)
        {
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(_target, _stop.Token).ConfigureAwait(false);
                await Task.WhenAny(Pump(client, server), Pump(server, client)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
            {
                // A connection closed by either side, or the proxy stopping: the other side sees the close.
            }
        }
    }

    /// <summary>Reads chunks from <paramref name="from"/> and writes each to <paramref name="to"/> once its delay has passed.</summary>
    private async Task Pump(Socket from, Socket to)
    {
        using var chunks = new BlockingCollection<(long Due, byte[] Bytes)>();
        var writer = new Thread(() => Write(chunks, to)) { IsBackground = true, Name = "latency-proxy" };
        writer.Start();
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                chunks.Add((Stopwatch.GetTimestamp() + (long)(_oneWay.TotalSeconds * Stopwatch.Frequency), buffer[..read]));
            }
        }
        finally
        {
            chunks.CompleteAdding();
            await Task.Run(writer.Join).ConfigureAwait(false);
            try
            {
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }
        }
    }

    /// <summary>
    /// The delay line of one direction, on a thread of its own: Task.Delay fires on a timer of a few milliseconds'
    /// granularity here (4 ms for a 1 ms delay), Thread.Sleep within about 0.1 ms.
    /// </summary>
    private void Write(BlockingCollection<(long Due, byte[] Bytes)> chunks, Socket to)
    {
        try
        {
            foreach (var (due, bytes) in chunks.GetConsumingEnumerable(_stop.Token))
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due).TotalMilliseconds;
                if (wait > 0)
                {
                    Thread.Sleep((int)Math.Ceiling(wait));
                }

                to.Send(bytes, SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection or the proxy is closing.
        }
    }
}
