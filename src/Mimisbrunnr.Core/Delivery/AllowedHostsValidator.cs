using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Delivery;

/// <summary>Refuses to start with an entry of <see cref="DestinationOptions.AllowedHosts"/> that the destination rules cannot read.</summary>
internal sealed class AllowedHostsValidator : IValidateOptions<MimisbrunnrOptions>
{
    public ValidateOptionsResult Validate(string? name, MimisbrunnrOptions options)
    {
        var failures = new List<string>();
        var hosts = options.Destinations?.AllowedHosts ?? [];
        for (var i = 0; i < hosts.Count; i++)
        {
            if (DestinationPolicy.ParseEntry(hosts[i], out _, out _) == DestinationPolicy.EntryKind.Invalid)
            {
                failures.Add(
                    $"Mimisbrunnr:Destinations:AllowedHosts:{i} '{hosts[i]}' is neither a host name, '*.suffix', an IP address nor a CIDR range.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
