using Microsoft.Extensions.Logging;
using Mimisbrunnr.Diagnostics;

namespace Mimisbrunnr.Delivery;

/// <content>Source-generated log messages. Norn ids only: never URLs (they may carry tokens) nor secrets.</content>
internal sealed partial class HttpNornSender
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.NotAnHttpNorn, LogLevel.Error, "Norn {NornId} has no valid HTTP destination; its events cannot be delivered.")]
        public static partial void NotAnHttpNorn(ILogger logger, string nornId);

        [LoggerMessage(EventIds.DeliveryRejected, LogLevel.Debug, "Delivery to norn {NornId} was rejected with status {Status}.")]
        public static partial void DeliveryRejected(ILogger logger, string nornId, int status);

        [LoggerMessage(EventIds.DeliveryError, LogLevel.Debug, "Delivery to norn {NornId} failed.")]
        public static partial void DeliveryError(ILogger logger, Exception exception, string nornId);

        [LoggerMessage(EventIds.DestinationRefused, LogLevel.Warning, "Delivery to norn {NornId} was refused at connect time: {Reason}")]
        public static partial void DestinationRefused(ILogger logger, string nornId, string reason);

        [LoggerMessage(EventIds.DeliverySecretUnreadable, LogLevel.Error,
            "The secret of norn {NornId} cannot be decrypted with the configured Mimisbrunnr:SecretKeys; its events are not delivered until it is registered again or the key is configured.")]
        public static partial void SecretUnreadable(ILogger logger, string nornId);
    }
}
