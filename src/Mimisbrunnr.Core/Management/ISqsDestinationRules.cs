using Mimisbrunnr.Norns;
namespace Mimisbrunnr.Management;

/// <summary>
/// The host's rules for SQS destinations beyond the URL shapes of AWS itself, supplied by the SQS destination package
/// (<c>AddSqsDestination</c>) and applied by <see cref="NornValidator"/> at registration: which other queue URLs are
/// accepted (those under a configured service endpoint: an emulator or a VPC endpoint), and whether a norn without
/// credentials of its own may use the host's.
/// </summary>
/// <remarks>Without an implementation registered, the host delivers to HTTP only and refuses every SQS destination.</remarks>
public interface ISqsDestinationRules
{
    /// <summary>The region of a norn whose queue URL names none and that gives none itself.</summary>
    string DefaultRegion { get; }

    /// <summary>Whether a queue URL is under the service endpoint this host sends SQS requests to.</summary>
    /// <param name="queueUrl">The absolute queue URL.</param>
    /// <returns><see langword="true"/> when the URL is accepted as a queue URL of that endpoint.</returns>
    bool IsServiceEndpointQueueUrl(Uri queueUrl);

    /// <summary>Checks a destination (already valid in shape) against the host's credential rules.</summary>
    /// <param name="destination">The destination as it would be stored.</param>
    /// <returns><see langword="null"/> when it is allowed; otherwise why not.</returns>
    SqsDestinationRefusal? Check(SqsDestination destination);
}

/// <summary>Why an SQS destination is refused: reported as a validation error of <paramref name="Field"/>.</summary>
/// <param name="Field">The field, for example <c>destination.sqs.accessKeyId</c>.</param>
/// <param name="Rule">The rule broken, for example <c>required</c> or <c>notAllowed</c>.</param>
/// <param name="Message">A sentence for a person; never holds a secret.</param>
public sealed record SqsDestinationRefusal(string Field, string Rule, string Message);
