using System.Diagnostics;
using System.Diagnostics.Metrics;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Routing;

namespace Mimisbrunnr.Sqs;

/// <summary>
/// Delivers events to Amazon SQS queues: one <c>SendMessage</c> per event, or <c>SendMessageBatch</c> requests of up
/// to <see cref="SqsDestinationOptions.MaxBatchSize"/> entries and <see cref="SqsDestinationOptions.MaxBatchBytes"/>
/// when several events are buffered for a norn.
/// </summary>
/// <remarks>
/// <para>
/// Message body: the event as WRP JSON, the bytes HTTP JSON delivery sends (cached per event). Message attributes
/// (<c>String</c>): <see cref="SqsMessages.EventTypeAttribute"/>, <see cref="SqsMessages.DeviceIdAttribute"/>,
/// <see cref="SqsMessages.TransactionIdAttribute"/> (when the event has one), <see cref="SqsMessages.MessageTypeAttribute"/>
/// and <see cref="SqsMessages.TraceParentAttribute"/> (when traced). <c>DelaySeconds</c> from the norn (not on FIFO
/// queues, which refuse per-message delays; there the message group is the device id and the deduplication id is
/// derived from the norn and the transaction id).
/// </para>
/// <para>
/// Requests of one batch go out one after the other, in order. Throttling, 5xx, transport errors and attempt timeouts
/// (<see cref="DeliveryOptions.Timeout"/>) are retried with exponential backoff and jitter; so are the entries of a
/// batch that failed on the service's side (a retried entry may then arrive after later events). A missing queue or
/// denied access is final for the whole batch: counted as failed, logged, and reported to the norn's failure URL
/// (<see cref="SqsFailureNotifier"/>); the norn stays registered. Credentials are the norn's, or the host's ambient
/// ones only when <see cref="SqsQueuePolicy"/> allows it, checked again before every send.
/// </para>
/// </remarks>
internal sealed partial class SqsNornSender : INornDestinationSender
{
    private const string SendMessageOperation = "send_message";
    private const string SendMessageBatchOperation = "send_message_batch";

    private readonly SqsQueuePolicy _policy;
    private readonly SqsClientCache _clients;
    private readonly SqsFailureNotifier _notifier;
    private readonly IOptionsMonitor<SqsDestinationOptions> _options;
    private readonly IOptionsMonitor<MimisbrunnrOptions> _engineOptions;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly INornSecretProtector _secrets;
    private readonly Counter<long> _requests;

    public SqsNornSender(
        SqsQueuePolicy policy,
        SqsClientCache clients,
        SqsFailureNotifier notifier,
        IOptionsMonitor<SqsDestinationOptions> options,
        IOptionsMonitor<MimisbrunnrOptions> engineOptions,
        IMeterFactory meterFactory,
        TimeProvider timeProvider,
        ILogger<SqsNornSender> logger,
        INornSecretProtector secretProtector)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engineOptions);
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(secretProtector);
        _policy = policy;
        _clients = clients;
        _notifier = notifier;
        _options = options;
        _engineOptions = engineOptions;
        _timeProvider = timeProvider;
        _logger = logger;
        _secrets = secretProtector;
        _requests = meterFactory.Create(MimisbrunnrTelemetry.MeterName).CreateCounter<long>(
            "mimisbrunnr.sqs.requests",
            "{request}",
            "SQS requests sent by the SQS destination, by operation (send_message, send_message_batch), outcome (success, partial, error) and error.type.");
    }

    public string Kind => DestinationKinds.Sqs;

    public int MaxBatchSize => Math.Clamp(_options.CurrentValue.MaxBatchSize, 1, SqsDestinationOptions.MaxEntriesPerBatch);

    public ValueTask<DeliveryOutcome> SendAsync(Norn norn, IReadOnlyList<RoutedEvent> batch, CancellationToken cancellationToken) =>
        SendAsync(norn, batch, DeliveryAttemptObservers.None, cancellationToken);

    /// <remarks>Each SQS request (each try of <c>SendMessage</c> or <c>SendMessageBatch</c>) is one attempt.</remarks>
    public async ValueTask<DeliveryOutcome> SendAsync(
        Norn norn, IReadOnlyList<RoutedEvent> batch, IDeliveryAttemptObserver attempts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(norn);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(attempts);
        var sqs = norn.Destination.Sqs;
        if (sqs is null || !Uri.TryCreate(sqs.QueueUrl, UriKind.Absolute, out var queueUrl))
        {
            Log.NotAnSqsNorn(_logger, norn.Id);
            return DeliveryOutcome.Failed(Math.Max(1, batch.Count));
        }

        if (batch.Count == 0)
        {
            return DeliveryOutcome.Delivered;
        }

        if (_policy.Check(sqs) is { } refusal)
        {
            Log.CredentialsRefused(_logger, norn.Id, refusal.Rule);
            await _notifier.NotifyAsync(norn, SqsFailureReasons.CredentialsRefused, refusal.Rule, batch.Count, cancellationToken).ConfigureAwait(false);
            return DeliveryOutcome.Failed(batch.Count);
        }

        if (!NornSecrets.TryReveal(_secrets, norn.Id, NornSecrets.SqsSecretAccessKey, sqs.SecretAccessKey, out var secretAccessKey)
            || !NornSecrets.TryReveal(_secrets, norn.Id, NornSecrets.SqsSessionToken, sqs.SessionToken, out var sessionToken))
        {
            Log.CredentialsUnreadable(_logger, norn.Id);
            return DeliveryOutcome.Failed(batch.Count);
        }

        var credentials = string.IsNullOrEmpty(sqs.AccessKeyId) || string.IsNullOrEmpty(secretAccessKey)
            ? null
            : new SqsCredentials(sqs.AccessKeyId, secretAccessKey, string.IsNullOrEmpty(sessionToken) ? null : sessionToken);
        var settings = new SqsClientSettings(_policy.EndpointFor(queueUrl), sqs.Region ?? _policy.DefaultRegion, credentials);
        SqsClientCache.Lease lease;
        try
        {
            lease = _clients.Acquire(settings);
        }
        catch (ObjectDisposedException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Log.ClientsDisposed(_logger, norn.Id);
            return DeliveryOutcome.Failed(batch.Count);
        }

        using (lease)
        {
            return await SendBatchAsync(lease.Client, norn, sqs, batch, attempts, cancellationToken).ConfigureAwait(false);
        }
    }

    private static SendMessageRequest ToRequest(string queueUrl, SqsMessages.Outgoing message, int delaySeconds) => new()
    {
        QueueUrl = queueUrl,
        MessageBody = message.Body,
        MessageAttributes = message.Attributes,
        DelaySeconds = message.GroupId is null ? delaySeconds : null,
        MessageGroupId = message.GroupId,
        MessageDeduplicationId = message.DeduplicationId,
    };

    private static SendMessageBatchRequest ToBatchRequest(string queueUrl, List<SqsMessages.Outgoing> messages, int delaySeconds)
    {
        var entries = new List<SendMessageBatchRequestEntry>(messages.Count);
        foreach (var message in messages)
        {
            entries.Add(new SendMessageBatchRequestEntry
            {
                Id = message.Id,
                MessageBody = message.Body,
                MessageAttributes = message.Attributes,
                DelaySeconds = message.GroupId is null ? delaySeconds : null,
                MessageGroupId = message.GroupId,
                MessageDeduplicationId = message.DeduplicationId,
            });
        }

        return new SendMessageBatchRequest { QueueUrl = queueUrl, Entries = entries };
    }

    private async Task<DeliveryOutcome> SendBatchAsync(
        ISqsClient client, Norn norn, SqsDestination sqs, IReadOnlyList<RoutedEvent> batch, IDeliveryAttemptObserver attempts, CancellationToken cancellationToken)
    {
        var fifo = SqsQueuePolicy.IsFifo(sqs.QueueUrl);
        var messages = new SqsMessages.Outgoing[batch.Count];
        var sizes = new int[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            messages[i] = SqsMessages.Create(i, norn.Id, batch[i], fifo);
            sizes[i] = messages[i].Size;
        }

        var plan = SqsMessages.Plan(sizes, MaxBatchSize, SqsDestinationOptions.MaxBatchBytes);
        var retry = RetrySettings.From(_options.CurrentValue, _engineOptions.CurrentValue.Delivery);
        var failed = 0;
        var requests = 0;
        foreach (var (start, count) in plan)
        {
            var chunk = new List<SqsMessages.Outgoing>(count);
            for (var i = start; i < start + count; i++)
            {
                chunk.Add(messages[i]);
            }

            var result = await SendChunkAsync(client, norn.Id, sqs, chunk, retry, attempts, cancellationToken).ConfigureAwait(false);
            failed += result.Failed;
            requests += result.Requests;
            if (result.Stop is { } stop)
            {
                // A missing queue or denied access fails the rest of the batch the same way: do not send it.
                failed += batch.Count - (start + count);
                var reason = stop == SqsErrorKind.QueueDoesNotExist ? SqsFailureReasons.QueueDoesNotExist : SqsFailureReasons.AccessDenied;
                Log.DestinationFailed(_logger, norn.Id, reason, result.Code ?? string.Empty, failed);
                await _notifier.NotifyAsync(norn, reason, result.Code ?? string.Empty, failed, cancellationToken).ConfigureAwait(false);
                break;
            }
        }

        if (Activity.Current is { IsAllDataRequested: true } activity)
        {
            activity.SetTag("messaging.system", "aws_sqs");
            activity.SetTag("messaging.destination.name", SqsQueuePolicy.QueueName(sqs.QueueUrl));
            activity.SetTag("mimisbrunnr.sqs.requests", requests);
            activity.SetTag("mimisbrunnr.sqs.failed", failed);
        }

        return failed == 0 ? DeliveryOutcome.Delivered
            : failed >= batch.Count ? DeliveryOutcome.Failed(batch.Count)
            : DeliveryOutcome.Partial(failed);
    }

    /// <summary>Sends one request's worth of messages, retrying what is retryable.</summary>
    private async Task<ChunkResult> SendChunkAsync(
        ISqsClient client,
        string nornId,
        SqsDestination sqs,
        List<SqsMessages.Outgoing> pending,
        RetrySettings retry,
        IDeliveryAttemptObserver attempts,
        CancellationToken cancellationToken)
    {
        var failed = 0;
        var requests = 0;
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(retry.Backoff(attempt), _timeProvider, cancellationToken).ConfigureAwait(false);
            }

            var operation = pending.Count == 1 ? SendMessageOperation : SendMessageBatchOperation;
            string lastCode;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(retry.Timeout);
                requests++;
                var clock = new AttemptClock(_timeProvider, attempts, attempt + 1, pending);
                try
                {
                    if (pending.Count == 1)
                    {
                        await client.SendMessageAsync(ToRequest(sqs.QueueUrl, pending[0], sqs.DelaySeconds), timeout.Token).ConfigureAwait(false);
                        CountRequest(operation, "success", null);
                        clock.Report(succeeded: true, null);
                        return new ChunkResult(failed, requests, null, null);
                    }

                    var response = await client.SendMessageBatchAsync(ToBatchRequest(sqs.QueueUrl, pending, sqs.DelaySeconds), timeout.Token)
                        .ConfigureAwait(false);
                    if (response.Failed is not { Count: > 0 } errors)
                    {
                        CountRequest(operation, "success", null);
                        clock.Report(succeeded: true, null);
                        return new ChunkResult(failed, requests, null, null);
                    }

                    CountRequest(operation, "partial", null);
                    clock.Report(succeeded: false, errors[0].Code);
                    var retryable = new HashSet<string>(StringComparer.Ordinal);
                    SqsErrorKind? stop = null;
                    string? stopCode = null;
                    lastCode = string.Empty;
                    foreach (var error in errors)
                    {
                        if (error.Id is null || !pending.Exists(m => m.Id == error.Id))
                        {
                            continue;
                        }

                        var kind = SqsErrors.Classify(error);
                        lastCode = error.Code ?? string.Empty;
                        if (kind == SqsErrorKind.Retryable)
                        {
                            retryable.Add(error.Id);
                            continue;
                        }

                        failed++;
                        Log.EntryFailed(_logger, nornId, lastCode, SqsErrors.Label(kind));
                        if (kind is SqsErrorKind.AccessDenied or SqsErrorKind.QueueDoesNotExist)
                        {
                            stop = kind;
                            stopCode = lastCode;
                        }
                    }

                    if (stop is not null)
                    {
                        return new ChunkResult(failed + retryable.Count, requests, stop, stopCode);
                    }

                    if (retryable.Count == 0)
                    {
                        return new ChunkResult(failed, requests, null, null);
                    }

                    pending = pending.FindAll(m => retryable.Contains(m.Id)); // still in their original order
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    clock.Report(succeeded: false, DeliveryErrorKinds.Cancelled);
                    throw;
                }
#pragma warning disable CA1031 // Every failure of a send is classified: retried, or counted as final.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    var kind = SqsErrors.Classify(ex, out lastCode);
                    CountRequest(operation, "error", lastCode);
                    clock.Report(succeeded: false, lastCode);
                    if (kind != SqsErrorKind.Retryable)
                    {
                        if (kind == SqsErrorKind.Final)
                        {
                            Log.RequestFailed(_logger, ex, nornId, lastCode, pending.Count);
                        }

                        return new ChunkResult(
                            failed + pending.Count, requests, kind is SqsErrorKind.Final ? null : kind, lastCode);
                    }
                }
            }

            if (attempt >= retry.Retries)
            {
                Log.GaveUp(_logger, nornId, pending.Count, attempt + 1, lastCode);
                return new ChunkResult(failed + pending.Count, requests, null, null);
            }

            Log.Retrying(_logger, nornId, pending.Count, lastCode, attempt + 1);
        }
    }

    private void CountRequest(string operation, string outcome, string? errorType)
    {
        if (!_requests.Enabled)
        {
            return;
        }

        var tags = new TagList { { "operation", operation }, { "outcome", outcome } };
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        _requests.Add(1, tags);
    }

    /// <summary>Times one request and reports it to the send's attempt observer.</summary>
    private readonly struct AttemptClock(TimeProvider time, IDeliveryAttemptObserver observer, int number, List<SqsMessages.Outgoing> messages)
    {
        private readonly DateTimeOffset _startedAt = time.GetUtcNow();
        private readonly long _started = time.GetTimestamp();

        public void Report(bool succeeded, string? error) => observer.OnAttempt(new DeliveryAttempt
        {
            StartedAt = _startedAt,
            Duration = time.GetElapsedTime(_started),
            Number = number,
            Succeeded = succeeded,
            Error = succeeded ? null : (string.IsNullOrEmpty(error) ? DeliveryErrorKinds.Other : error),
            TransactionId = messages.Count == 1
                && messages[0].Attributes.TryGetValue(SqsMessages.TransactionIdAttribute, out var id) ? id.StringValue : null,
            Events = messages.Count,
        });
    }

    /// <summary>What became of one request's messages.</summary>
    /// <param name="Failed">How many were not delivered.</param>
    /// <param name="Requests">How many requests were sent (retries included).</param>
    /// <param name="Stop">A missing queue or denied access: the rest of the batch is not sent.</param>
    /// <param name="Code">The SQS error code behind <paramref name="Stop"/>.</param>
    private readonly record struct ChunkResult(int Failed, int Requests, SqsErrorKind? Stop, string? Code);

    /// <summary>The retry settings of one send: the SQS options, else the engine's delivery options.</summary>
    private readonly record struct RetrySettings(int Retries, TimeSpan BaseDelay, TimeSpan MaxDelay, TimeSpan Timeout)
    {
        public static RetrySettings From(SqsDestinationOptions options, DeliveryOptions delivery) => new(
            options.Retries ?? delivery.Retries,
            options.RetryBaseDelay ?? delivery.RetryBaseDelay,
            options.MaxRetryDelay ?? delivery.MaxRetryAfter,
            delivery.Timeout);

        /// <summary>Exponential from <see cref="BaseDelay"/>, capped by <see cref="MaxDelay"/>, with jitter (50..100 %).</summary>
        public TimeSpan Backoff(int attempt)
        {
            var exponential = BaseDelay.Ticks * Math.Pow(2, Math.Min(attempt - 1, 30));
            var capped = MaxDelay > TimeSpan.Zero ? Math.Min(exponential, MaxDelay.Ticks) : exponential;
#pragma warning disable CA5394 // Jitter, not security.
            return TimeSpan.FromTicks((long)(capped * (0.5 + (Random.Shared.NextDouble() * 0.5))));
#pragma warning restore CA5394
        }
    }
}
