using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Norns;

/// <summary>
/// Every <see cref="MimisbrunnrOptions.SweepInterval"/> (on the injected <see cref="TimeProvider"/>), deletes expired
/// norns from the store and removes expired norns from this host's index. Routing already skips expired norns between
/// sweeps; the sweep frees their memory and storage.
/// </summary>
public sealed partial class NornExpirySweeper : BackgroundService
{
    private readonly INornStore _store;
    private readonly NornRegistry _registry;
    private readonly TimeProvider _timeProvider;
    private readonly IOptionsMonitor<MimisbrunnrOptions> _options;
    private readonly ILogger _logger;

    /// <summary>Creates the sweeper.</summary>
    /// <param name="store">The store.</param>
    /// <param name="registry">The index.</param>
    /// <param name="timeProvider">The clock that drives the sweeps.</param>
    /// <param name="options">The options (sweep interval).</param>
    /// <param name="logger">The logger.</param>
    public NornExpirySweeper(
        INornStore store,
        NornRegistry registry,
        TimeProvider timeProvider,
        IOptionsMonitor<MimisbrunnrOptions> options,
        ILogger<NornExpirySweeper>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _registry = registry;
        _timeProvider = timeProvider;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Sweeps once, now.</summary>
    /// <param name="cancellationToken">Cancels the store call.</param>
    /// <returns>How many norns were removed from the store or the index.</returns>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var now = _timeProvider.GetUtcNow();
        var deleted = await _store.DeleteExpiredAsync(now, cancellationToken).ConfigureAwait(false);
        var removed = 0;
        foreach (var id in deleted)
        {
            if (_registry.Remove(id))
            {
                removed++;
            }
        }

        // Expired norns another host already deleted from a shared store (their delete may still be on its way).
        removed += _registry.RemoveExpired(now).Count;
        var total = Math.Max(deleted.Count, removed);
        if (total > 0)
        {
            Log.Swept(_logger, deleted.Count, removed);
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
        [LoggerMessage(1, LogLevel.Debug, "Expiry sweep: {Deleted} norns deleted from the store, {Removed} removed from the index.")]
        public static partial void Swept(ILogger logger, int deleted, int removed);

        [LoggerMessage(2, LogLevel.Error, "Expiry sweep failed; retrying at the next interval.")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
