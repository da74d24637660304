using Mimisbrunnr.Client;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.ConsumerSample;

/// <summary>
/// When nothing arrived for <c>Consumer:QuietPeriod</c> (default one minute), asks the server how the norn's deliveries
/// are going and logs it: the state on the answering instance (idle, active, cut off, failing), what is queued,
/// delivered, failed and dropped, the last failure and the last attempt. A quiet device and a broken delivery look the
/// same from the consumer's side; this tells them apart.
/// </summary>
public sealed partial class DeliveryStatusReporter(
    INornClient client,
    NornRenewalService renewal,
    ReceivedDeliveries received,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<DeliveryStatusReporter> logger) : BackgroundService
{
    private volatile NornDeliveryStatus? _lastStatus;

    /// <summary>The status fetched last, if any.</summary>
    public NornDeliveryStatus? LastStatus => _lastStatus;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var quiet = configuration.GetValue("Consumer:QuietPeriod", TimeSpan.FromMinutes(1));
        if (quiet <= TimeSpan.Zero)
        {
            return; // turned off
        }

        ReceivedDelivery? lastSeen = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(quiet, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var deliveries = received.Deliveries;
            var newest = deliveries.Count == 0 ? null : deliveries[^1];
            if (renewal.Norn is not { } norn || !ReferenceEquals(newest, lastSeen))
            {
                lastSeen = newest; // something arrived (or nothing is registered yet): not quiet
                continue;
            }

            await ReportAsync(norn.Id, quiet, stoppingToken);
        }
    }

    private async Task ReportAsync(string nornId, TimeSpan quiet, CancellationToken stoppingToken)
    {
        try
        {
            var status = await client.GetDeliveryStatusAsync(nornId, stoppingToken);
            if (status is null)
            {
                NotFound(logger, nornId);
                return;
            }

            _lastStatus = status;
            var dropped = string.Join(", ", status.Dropped.Where(d => d.Value > 0).Select(d => $"{d.Key} {d.Value}"));
            var failure = status.LastFailure is { } f ? $"{f.At:O} {f.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? f.Error}" : "none";
            Quiet(logger, quiet, nornId, status.Instance, status.State, status.Queued, status.Delivered, status.Failed,
                dropped.Length == 0 ? "none" : dropped, failure);
            var attempts = await client.GetAttemptsAsync(nornId, stoppingToken);
            if (attempts?.Attempts is [var last, ..])
            {
                LastAttempt(logger, last.At, last.Attempt, last.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? last.Error ?? "-", last.DurationMs);
            }
        }
        catch (Exception ex) when (ex is MimisbrunnrApiException or HttpRequestException)
        {
            StatusFailed(logger, ex.Message);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(20, LogLevel.Information,
        "Nothing arrived for {Quiet}. Norn {NornId} on {Instance}: {State}; queued {Queued}, delivered {Delivered}, failed {Failed}, dropped {Dropped}; last failure {LastFailure}")]
    private static partial void Quiet(
        ILogger logger, TimeSpan quiet, string nornId, string instance, string state, int queued, long delivered, long failed, string dropped, string lastFailure);

    [LoggerMessage(21, LogLevel.Information, "Last attempt: {At:O}, try {Attempt}, {Result}, {DurationMs} ms")]
    private static partial void LastAttempt(ILogger logger, DateTimeOffset at, int attempt, string result, double durationMs);

    [LoggerMessage(22, LogLevel.Warning, "Norn {NornId} is not registered any more; the renewal registers it again.")]
    private static partial void NotFound(ILogger logger, string nornId);

    [LoggerMessage(23, LogLevel.Warning, "Could not read the delivery status: {Reason}")]
    private static partial void StatusFailed(ILogger logger, string reason);
}
