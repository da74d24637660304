using Microsoft.Extensions.Logging;

namespace Mimisbrunnr.Sqs;

/// <content>Source-generated log messages: norn ids and SQS error codes only, never credentials.</content>
internal sealed partial class SqsNornSender
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.NotAnSqsNorn, LogLevel.Error, "Norn {NornId} has no valid SQS destination; its events cannot be delivered.")]
        public static partial void NotAnSqsNorn(ILogger logger, string nornId);

        [LoggerMessage(EventIds.CredentialsRefused, LogLevel.Warning, "Norn {NornId} has no credentials of its own and this host refuses its ambient AWS credentials for the queue ({Rule}); its events are dropped.")]
        public static partial void CredentialsRefused(ILogger logger, string nornId, string rule);

        [LoggerMessage(EventIds.DestinationFailed, LogLevel.Warning, "Delivery to the SQS queue of norn {NornId} failed for good: {Reason} ({Code}); {Dropped} event(s) dropped.")]
        public static partial void DestinationFailed(ILogger logger, string nornId, string reason, string code, int dropped);

        [LoggerMessage(EventIds.Retrying, LogLevel.Debug, "SQS send of {Count} event(s) of norn {NornId} failed ({Code}), attempt {Attempt}; retrying.")]
        public static partial void Retrying(ILogger logger, string nornId, int count, string code, int attempt);

        [LoggerMessage(EventIds.GaveUp, LogLevel.Warning, "SQS send of {Count} event(s) of norn {NornId} failed after {Attempts} attempt(s) ({Code}); they are dropped.")]
        public static partial void GaveUp(ILogger logger, string nornId, int count, int attempts, string code);

        [LoggerMessage(EventIds.EntryFailed, LogLevel.Warning, "SQS refused an event of norn {NornId}: {Code} ({Kind}); it is dropped.")]
        public static partial void EntryFailed(ILogger logger, string nornId, string code, string kind);

        [LoggerMessage(EventIds.RequestFailed, LogLevel.Warning, "SQS refused {Count} event(s) of norn {NornId}: {Code}; they are dropped.")]
        public static partial void RequestFailed(ILogger logger, Exception exception, string nornId, string code, int count);

        [LoggerMessage(EventIds.CredentialsUnreadable, LogLevel.Error,
            "The AWS credentials of norn {NornId} cannot be decrypted with the configured Mimisbrunnr:SecretKeys; its events are not sent until it is registered again or the key is configured.")]
        public static partial void CredentialsUnreadable(ILogger logger, string nornId);

        [LoggerMessage(EventIds.ClientsDisposed, LogLevel.Warning, "The SQS clients are disposed (host shutting down); {NornId}'s events are not sent.")]
        public static partial void ClientsDisposed(ILogger logger, string nornId);
    }
}
