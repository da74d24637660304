using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Diagnostics;

namespace Mimisbrunnr.Management;

/// <summary>
/// Every <see cref="MimisbrunnrOptions.SweepInterval"/> (on the injected <see cref="TimeProvider"/>), deletes expired
/// norns from the store and removes expired norns from this host's index. Routing already skips expired norns between
/// sweeps; the sweep frees their memory and storage.
/// </summary>
internal sealed partial class NornExpirySweeper : BackgroundService
{
    private readonly NornService _service;
    private readonly TimeProvider _timeProvider;
    private readonly IOptionsMonitor<MimisbrunnrOptions> _options;
    private readonly ILogger _logger;

    public NornExpirySweeper(
        NornService service,
        TimeProvider timeProvider,
        IOptionsMonitor<MimisbrunnrOptions> options,
        ILogger<NornExpirySweeper>? logger = null)
    {
        _service = service;
        _timeProvider = timeProvider;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Sweeps once, now.</summary>
    /// <param name="cancellationToken">Cancels the store call.</param>
    /// <returns>How many norns were removed from the store or the index.</returns>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var (deleted, removed) = await _service.SweepExpiredAsync(cancellationToken).ConfigureAwait(false);
        var total = Math.Max(deleted, removed);
        if (total > 0)
        {
            Log.Swept(_logger, deleted, removed);
        }

        return total;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.CurrentValue.SweepInterval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await SweepAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // A failed sweep is retried at the next tick.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.SweepFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.Swept, LogLevel.Debug, "Expiry sweep: {Deleted} norns deleted from the store, {Removed} removed from the index.")]
        public static partial void Swept(ILogger logger, int deleted, int removed);

        [LoggerMessage(EventIds.SweepFailed, LogLevel.Error, "Expiry sweep failed; retrying at the next interval.")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
