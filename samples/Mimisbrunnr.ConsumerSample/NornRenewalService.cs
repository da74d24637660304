using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Mimisbrunnr.Client;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.ConsumerSample;

/// <summary>
/// Registers the norn once the app listens, renews it whenever half of its ttl has passed (registering it again if it
/// expired meanwhile), and deletes it on shutdown.
/// </summary>
public sealed partial class NornRenewalService(
    INornClient client,
    ConsumerSettings settings,
    IServer server,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<NornRenewalService> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);
    private volatile NornResponse? _norn;

    /// <summary>The norn as last registered or renewed; <see langword="null"/> before the first registration.</summary>
    public NornResponse? Norn => _norn;

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken); // ends the renewal loop first
        if (_norn is not { } norn)
        {
            return;
        }

        try
        {
            var deleted = await client.DeleteAsync(norn.Id, cancellationToken);
            Deleted(logger, norn.Id, deleted);
        }
        catch (Exception ex) when (ex is MimisbrunnrApiException or HttpRequestException or OperationCanceledException)
        {
            // It expires by itself at ExpiresAt.
            DeleteFailed(logger, norn.Id, norn.ExpiresAt, ex.Message);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await WaitUntilListeningAsync(stoppingToken))
        {
            return;
        }

        var registration = Registration();
        Registering(logger, settings.DeviceId, registration.Destination!.Http!.Url!);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                // RenewAsync re-registers the original request (with its secret) with a fresh ttl.
                var (norn, created) = await client.RenewAsync(registration, settings.Ttl, stoppingToken);
                _norn = norn;
                Registered(logger, created ? "Registered" : "Renewed", norn.Id, norn.ExpiresAt);
                var remaining = norn.ExpiresAt - time.GetUtcNow();
                wait = remaining / 2 > TimeSpan.FromSeconds(1) ? remaining / 2 : TimeSpan.FromSeconds(1);
            }
            catch (MimisbrunnrApiException ex) when (ex is MimisbrunnrValidationException or MimisbrunnrUnauthorizedException or MimisbrunnrConflictException)
            {
                // Retrying cannot help: say why and stop.
                CannotRegister(logger, ex.Message);
                lifetime.StopApplication();
                return;
            }
            catch (MimisbrunnrRateLimitedException ex)
            {
                wait = ex.RetryAfter ?? TimeSpan.FromSeconds(30);
                WillRetry(logger, ex.Message, wait);
            }
            catch (Exception ex) when (ex is MimisbrunnrApiException or HttpRequestException)
            {
                wait = RetryDelay;
                WillRetry(logger, ex.Message, wait);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private NornRequest Registration()
    {
        var deliveries = DeliveriesUrl();
        return new NornRequest
        {
            DeviceId = settings.DeviceId,
            Ttl = (long)settings.Ttl.TotalSeconds,
            Destination = new DestinationRequest
            {
                Http = new HttpDestinationRequest
                {
                    Url = deliveries.ToString(),
                    Secret = settings.Secret,
                    FailureUrl = new Uri(deliveries, "cutoff").ToString(),
                    ContentType = settings.ContentType,
                },
            },
        };
    }

    /// <summary>The configured public URL, or this app's own address (wildcards read as localhost) + /deliveries.</summary>
    private Uri DeliveriesUrl()
    {
        if (settings.PublicUrl.Length > 0)
        {
            return new Uri(settings.PublicUrl);
        }

        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The app listens on no address; set Consumer:PublicUrl.");
        foreach (var wildcard in new[] { "://+:", "://*:", "://[::]:", "://0.0.0.0:" })
        {
            address = address.Replace(wildcard, "://localhost:", StringComparison.Ordinal);
        }

        return new Uri(new Uri(address.TrimEnd('/') + "/"), "deliveries");
    }

    private async Task<bool> WaitUntilListeningAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(10, LogLevel.Information, "Registering a norn for {DeviceId}, delivering to {Url}")]
    private static partial void Registering(ILogger logger, string deviceId, string url);

    [LoggerMessage(11, LogLevel.Information, "{Action} norn {NornId}; it expires at {ExpiresAt:O}")]
    private static partial void Registered(ILogger logger, string action, string nornId, DateTimeOffset expiresAt);

    [LoggerMessage(12, LogLevel.Critical, "Cannot register the norn: {Reason}. Fix the Consumer configuration; stopping.")]
    private static partial void CannotRegister(ILogger logger, string reason);

    [LoggerMessage(13, LogLevel.Warning, "Registration failed: {Reason}. Trying again in {Wait}.")]
    private static partial void WillRetry(ILogger logger, string reason, TimeSpan wait);

    [LoggerMessage(14, LogLevel.Information, "Deleted norn {NornId} on shutdown (found: {Deleted})")]
    private static partial void Deleted(ILogger logger, string nornId, bool deleted);

    [LoggerMessage(15, LogLevel.Warning, "Could not delete norn {NornId} on shutdown ({Reason}); it expires at {ExpiresAt:O}")]
    private static partial void DeleteFailed(ILogger logger, string nornId, DateTimeOffset expiresAt, string reason);
}
