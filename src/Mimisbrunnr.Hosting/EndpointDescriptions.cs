using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// What each Mimisbrunnr endpoint accepts and answers, as endpoint metadata (summaries, request bodies, responses,
/// problem details), so that any host's OpenAPI document (<c>Microsoft.AspNetCore.OpenApi</c>, Swashbuckle, NSwag)
/// describes them. The handlers return <see cref="IResult"/>, which no generator can see through.
/// </summary>
internal static class EndpointDescriptions
{
    /// <summary>The <c>/norns</c> routes' authentication, for document transformers: the host's scheme (Basic, Bearer, ...).</summary>
    public const string HostAuthentication = "Authenticated by the host's scheme (the caller becomes the norn's owner).";

    private const string Json = "application/json";
    private const string Problem = "application/problem+json";

    public static RouteHandlerBuilder DescribeCreate(this RouteHandlerBuilder builder) => builder
        .WithSummary("Register a norn, or update the caller's norn for the same device and destination")
        .WithDescription(HostAuthentication + " The id is derived from the device and the destination, so posting the same pair again updates the norn (200). "
            + "The norn takes the caller's partner ids (400 when it has none); 403 when the host's device policy refuses the device.")
        .Accepts<NornRequest>(Json)
        .Produces<NornResponse>(StatusCodes.Status201Created, Json)
        .Produces<NornResponse>(StatusCodes.Status200OK, Json)
        .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict,
            StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests,
            StatusCodes.Status503ServiceUnavailable);

    public static RouteHandlerBuilder DescribeList(this RouteHandlerBuilder builder) => builder
        .WithSummary("List the caller's norns, in id order, a page at a time")
        .WithDescription(HostAuthentication + " Query: limit (1..1000, default 100), after (a norn id), deviceId. A Link header with rel=\"next\" points to the next page.")
        .Produces<List<NornResponse>>(StatusCodes.Status200OK, Json)
        .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status503ServiceUnavailable);

    public static RouteHandlerBuilder DescribeGet(this RouteHandlerBuilder builder) => builder
        .WithSummary("Get one of the caller's norns, with its delivery status on this instance")
        .WithDescription(HostAuthentication + " 404 when the norn does not exist, expired, or belongs to someone else.")
        .Produces<NornResponse>(StatusCodes.Status200OK, Json)
        .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable);

    public static RouteHandlerBuilder DescribeAttempts(this RouteHandlerBuilder builder) => builder
        .WithSummary("The last delivery attempts to one of the caller's norns on this instance, newest first")
        .WithDescription(HostAuthentication + " At most 20, kept only while the norn is active on this instance.")
        .Produces<NornDeliveryAttempts>(StatusCodes.Status200OK, Json)
        .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable);

    public static RouteHandlerBuilder DescribeUpdate(this RouteHandlerBuilder builder) => builder
        .WithSummary("Replace one of the caller's norns (same device and destination)")
        .WithDescription(HostAuthentication)
        .Accepts<NornRequest>(Json)
        .Produces<NornResponse>(StatusCodes.Status200OK, Json)
        .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
            StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests,
            StatusCodes.Status503ServiceUnavailable);

    public static RouteHandlerBuilder DescribeDelete(this RouteHandlerBuilder builder) => builder
        .WithSummary("Delete one of the caller's norns")
        .WithDescription(HostAuthentication)
        .Produces(StatusCodes.Status204NoContent)
        .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable);

    public static RouteHandlerBuilder DescribeEvents(this RouteHandlerBuilder builder) => builder
        .WithSummary("Receive a device event from Caduceus (a WRP message) and route it to its device's norns")
        .WithDescription(
            "HMAC-signed, not authenticated by the host's scheme: X-Webpa-Signature: sha1=<lowercase hex HMAC-SHA1 of the exact body, "
            + "keyed with Mimisbrunnr:Events:Secret> (403 when missing or wrong). The body is a WRP message in msgpack "
            + "(application/msgpack, application/wrp, application/x-msgpack) or WRP JSON (application/json). "
            + "503 with Retry-After while the host is still loading its norn index (Caduceus retries).")
        .Accepts<Stream>("application/msgpack", "application/wrp", "application/x-msgpack", Json)
        .Produces(StatusCodes.Status202Accepted)
        .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge,
            StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status503ServiceUnavailable);

    public static RouteHandlerBuilder DescribeCutOffNotice(this RouteHandlerBuilder builder) => builder
        .WithSummary("Receive Caduceus's cut-off notice for this host's webhook registration, and register again at once")
        .WithDescription(
            "HMAC-signed like /events: X-Webpa-Signature: sha1=<hex HMAC-SHA1 of the body, keyed with the registration secret "
            + "Mimisbrunnr:Events:Secret> (403 when missing or wrong). The body is Caduceus's failure message (JSON); it is only logged.")
        .Accepts<Stream>(Json)
        .Produces(StatusCodes.Status204NoContent)
        .Problems(StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge);

    private static RouteHandlerBuilder Problems(this RouteHandlerBuilder builder, params int[] statusCodes)
    {
        foreach (var status in statusCodes)
        {
            builder.ProducesProblem(status, Problem);
        }

        return builder;
    }
}
