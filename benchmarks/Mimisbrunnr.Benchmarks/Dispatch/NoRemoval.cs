using Mimisbrunnr.Dispatch;

namespace Mimisbrunnr.Benchmarks.Dispatch;

/// <summary>A removal owner for pools built without a norn service: no benchmark destination is ever gone.</summary>
internal sealed class NoRemoval : INornRemoval
{
    public ValueTask RemoveGoneAsync(string nornId, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
