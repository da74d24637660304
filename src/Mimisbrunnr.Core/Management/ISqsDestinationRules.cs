using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Management;

/// <summary>
/// The rules for SQS destinations, supplied by the SQS destination package (<c>AddSqsDestination</c>) and applied by
/// the norn service at registration: which queue URLs are SQS queues (AWS's shapes, and those under a configured
/// service endpoint such as an emulator or a VPC endpoint), regions, delays, and whether a norn without credentials of
/// its own may use the host's.
/// </summary>
/// <remarks>Without an implementation registered, the host delivers to HTTP only and refuses every SQS destination.</remarks>
public interface ISqsDestinationRules
{
    /// <summary>Validates the SQS destination of a norn request and returns it in its stored form.</summary>
    /// <param name="request">The <c>destination.sqs</c> part of the request.</param>
    /// <returns>
    /// The destination to store (queue URL, region, delay, credentials); the norn service adds the failure URL and the
    /// notice secret, which it validates itself like those of every destination.
    /// </returns>
    /// <exception cref="NornValidationException">A rule is broken; the field is named from <c>destination.sqs.</c>.</exception>
    SqsDestination Validate(SqsDestinationRequest request);
}
