using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Storage;

/// <summary>
/// Refuses to start a host whose norns are kept in a durable store (SQLite, PostgreSQL, Argus, a host's own) while no
/// <see cref="MimisbrunnrOptions.SecretKeys"/> are configured, unless <see cref="MimisbrunnrOptions.AllowUnencryptedSecrets"/>
/// says that is wanted: secrets are encrypted at rest by default. The in-memory store keeps nothing, so it is exempt.
/// Runs when the host starts (not when options are first read), so tools that only open a store are not refused.
/// </summary>
internal sealed class SecretsAtRestCheck(IOptionsMonitor<MimisbrunnrOptions> options, INornStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var current = options.CurrentValue;
        if (current.SecretKeys.Count == 0 && !current.AllowUnencryptedSecrets && store is not InMemoryNornStore)
        {
            throw new OptionsValidationException(
                Options.DefaultName,
                typeof(MimisbrunnrOptions),
                [
                    $"Mimisbrunnr:SecretKeys is empty, so norn secrets would be kept unencrypted in the store ({store.GetType().Name}). "
                    + "Configure Mimisbrunnr:SecretKeys:0 (openssl rand -base64 32), or set Mimisbrunnr:AllowUnencryptedSecrets=true to keep them as given.",
                ]);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
