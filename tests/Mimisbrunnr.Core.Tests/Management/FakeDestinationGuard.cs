using Mimisbrunnr.Delivery;

namespace Mimisbrunnr.Tests.Management;

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
