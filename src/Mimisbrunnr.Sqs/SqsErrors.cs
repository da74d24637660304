using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.SQS.Model;

namespace Mimisbrunnr.Sqs;

/// <summary>What an SQS error means for delivery.</summary>
internal enum SqsErrorKind
{
    /// <summary>Throttling, a 5xx, a transport error or a timeout: worth another attempt after a backoff.</summary>
    Retryable,

    /// <summary>The queue does not exist: final for every event of the batch; the owner is told.</summary>
    QueueDoesNotExist,

    /// <summary>Access denied or credentials not accepted: final for every event of the batch; the owner is told.</summary>
    AccessDenied,

    /// <summary>Any other error (an invalid message, ...): final for the events concerned.</summary>
    Final,
}

/// <summary>Classifies SQS errors, of whole requests (exceptions) and of batch entries.</summary>
internal static class SqsErrors
{
    private static readonly HashSet<string> QueueMissingCodes = new(StringComparer.Ordinal)
    {
        "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "NonExistentQueue",
    };

    private static readonly HashSet<string> AccessDeniedCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
        "InvalidSecurity", "ExpiredToken", "ExpiredTokenException", "IncompleteSignature", "MissingAuthenticationToken",
        "InvalidAccessKeyId", "KmsAccessDenied", "KMS.AccessDeniedException",
    };

    private static readonly HashSet<string> RetryableCodes = new(StringComparer.Ordinal)
    {
        "Throttling", "ThrottlingException", "RequestThrottled", "RequestThrottledException", "KmsThrottled",
        "KMS.ThrottlingException", "ServiceUnavailable", "InternalError", "InternalFailure", "RequestTimeout",
        "RequestTimeoutException", "TooManyRequestsException",
    };

    /// <summary>Classifies the exception of a failed request; <paramref name="code"/> is what to log and count (never a secret).</summary>
    public static SqsErrorKind Classify(Exception exception, out string code)
    {
        switch (exception)
        {
            case QueueDoesNotExistException:
                code = "QueueDoesNotExist";
                return SqsErrorKind.QueueDoesNotExist;
            case RequestThrottledException or KmsThrottledException:
                code = string.IsNullOrEmpty(((AmazonServiceException)exception).ErrorCode) ? exception.GetType().Name : ((AmazonServiceException)exception).ErrorCode;
                return SqsErrorKind.Retryable;
            case AmazonServiceException service:
                code = string.IsNullOrEmpty(service.ErrorCode)
                    ? (service.StatusCode == 0 ? "NoResponse" : "Http" + ((int)service.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture))
                    : service.ErrorCode;
                return ClassifyService(service, code);
            case HttpRequestException or IOException or SocketException or TimeoutException or OperationCanceledException:
                code = exception is OperationCanceledException or TimeoutException ? "Timeout" : "Transport";
                return SqsErrorKind.Retryable;
            case AmazonClientException when HasTransportCause(exception):
                code = "Transport";
                return SqsErrorKind.Retryable;
            default:
                // AmazonClientException (for example: no ambient credentials could be resolved) and anything unexpected.
                code = exception.GetType().Name;
                return SqsErrorKind.Final;
        }
    }

    /// <summary>Classifies one failed entry of a <c>SendMessageBatch</c> answer.</summary>
    public static SqsErrorKind Classify(BatchResultErrorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var code = entry.Code ?? string.Empty;
        if (RetryableCodes.Contains(code))
        {
            return SqsErrorKind.Retryable;
        }

        if (AccessDeniedCodes.Contains(code))
        {
            return SqsErrorKind.AccessDenied;
        }

        // SenderFault false: the service failed, not the request.
        return entry.SenderFault == false ? SqsErrorKind.Retryable : SqsErrorKind.Final;
    }

    private static SqsErrorKind ClassifyService(AmazonServiceException exception, string code)
    {
        if (QueueMissingCodes.Contains(code) || (exception.ErrorCode is { } raw && QueueMissingCodes.Contains(raw)))
        {
            return SqsErrorKind.QueueDoesNotExist;
        }

        if (AccessDeniedCodes.Contains(code) || exception.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            return SqsErrorKind.AccessDenied;
        }

        var status = (int)exception.StatusCode;
        if (RetryableCodes.Contains(code) || status >= 500 || status == 429 || status == 408
            || (status == 0 && HasTransportCause(exception)))
        {
            return SqsErrorKind.Retryable;
        }

        return SqsErrorKind.Final;
    }

    private static bool HasTransportCause(Exception exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException or IOException or SocketException or TimeoutException or OperationCanceledException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The drop/metric label of an error kind.</summary>
    public static string Label(SqsErrorKind kind) => kind switch
    {
        SqsErrorKind.Retryable => "retryable",
        SqsErrorKind.QueueDoesNotExist => "queue_does_not_exist",
        SqsErrorKind.AccessDenied => "access_denied",
        _ => "final",
    };
}
