using System.Runtime;

namespace Mimisbrunnr.Server;

/// <summary>
/// One full, compacting garbage collection once the norn index is loaded, before the server listens. Loading a large
/// index (a million norns) leaves the heap grown by the load's short-lived objects (row documents, the records each
/// norn is compacted from); the collector would keep that memory committed for a long time, so the process would stay
/// hundreds of MiB above its live data. An aggressive collection compacts the live norns together and gives the rest
/// back to the operating system. Registered after <c>AddMimisbrunnr</c>, so it starts after the registry's
/// synchronizer, whose start waits for the first load; it costs one pause at start (about a second at a million
/// norns on a busy 2-core machine, a few milliseconds with a small index) and nothing afterwards.
/// </summary>
internal sealed class StartupCompaction : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
