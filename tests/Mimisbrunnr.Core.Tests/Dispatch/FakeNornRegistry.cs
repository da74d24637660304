using System.Collections.Concurrent;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Dispatch;

/// <summary>
/// A hand-written registry: a dictionary, <see cref="Changed"/> raised on demand; also the removal owner the pool reports
/// gone norns to, recording each removal (as the norn service would, it removes the norn from the index).
/// </summary>
internal sealed class FakeNornRegistry : INornRegistry, INornRemoval
{
    private readonly ConcurrentDictionary<string, RegisteredNorn> _norns = new();

    public event EventHandler<NornRegistryChangedEventArgs>? Changed;

    public ConcurrentQueue<string> RemoveCalls { get; } = new();

    /// <summary>Completes when <see cref="RemoveGoneAsync"/> was first called.</summary>
    public TaskCompletionSource<string> Removed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count => _norns.Count;

    public RegisteredNorn Add(Norn norn)
    {
        var registered = new RegisteredNorn(norn);
        _norns[norn.Id] = registered;
        Changed?.Invoke(this, new NornRegistryChangedEventArgs(norn.Id, removed: false));
        return registered;
    }

    /// <summary>Removes a norn and raises <see cref="Changed"/>, as a store change would.</summary>
    public void Remove(string id)
    {
        _norns.TryRemove(id, out _);
        Changed?.Invoke(this, new NornRegistryChangedEventArgs(id, removed: true));
    }

    /// <summary>Removes a norn without telling anyone (the dispatcher finds out at its next send).</summary>
    public void RemoveSilently(string id) => _norns.TryRemove(id, out _);

    public DeviceNorns GetByDevice(DeviceId deviceId) =>
        new(_norns.Values.Where(n => DeviceId.Parse(n.Norn.DeviceId).Equals(deviceId)).ToArray());

    public RegisteredNorn? Find(string id) => _norns.GetValueOrDefault(id);

    public ValueTask RemoveGoneAsync(string id, CancellationToken cancellationToken)
    {
        RemoveCalls.Enqueue(id);
        Remove(id);
        Removed.TrySetResult(id);
        return ValueTask.CompletedTask;
    }
}
