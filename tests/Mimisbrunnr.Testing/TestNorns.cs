using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Testing;

/// <summary>
/// The one builder of test norns: stored <see cref="Norn"/>s (what NornService writes and stores return) and
/// <see cref="NornRequest"/>s (what <c>POST /norns</c> and the client SDK send), with optional parameters for what a
/// test cares about and fixed, documented defaults for the rest.
/// </summary>
public static class TestNorns
{
    /// <summary>A fixed "now" (2030-01-01T12:00:00Z) for tests on fake time.</summary>
    public static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The default device.</summary>
    public const string Device = "mac:112233445566";

    /// <summary>The default owner.</summary>
    public const string Owner = "alice";

    /// <summary>A norn secret for tests that want signed deliveries (norns have no secret unless given one).</summary>
    public const string Secret = "norn-secret";

    private static readonly JsonSerializerOptions RequestJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A MAC device id unique to <paramref name="n"/>: <c>mac:</c> and 12 hex digits.</summary>
    /// <param name="n">Any non-negative number.</param>
    /// <returns>The canonical device id.</returns>
    public static string Mac(long n) => "mac:" + n.ToString("x12", CultureInfo.InvariantCulture);

    /// <summary>A stored HTTP norn, written at <paramref name="now"/>, with its id derived from device and URL.</summary>
    /// <param name="deviceId">The canonical device id.</param>
    /// <param name="url">The delivery URL.</param>
    /// <param name="owner">The owner.</param>
    /// <param name="secret">The HMAC secret (default none: unsigned deliveries).</param>
    /// <param name="failureUrl">The cut-off notice URL.</param>
    /// <param name="contentType">The delivery body format.</param>
    /// <param name="filter">The filter.</param>
    /// <param name="now">The write time (default <see cref="T0"/>).</param>
    /// <param name="ttl">The time to live (default one hour).</param>
    /// <returns>The norn.</returns>
    public static Norn Http(
        string deviceId,
        string url,
        string owner = Owner,
        string? secret = null,
        string? failureUrl = null,
        string contentType = DeliveryContentTypes.Json,
        NornFilter? filter = null,
        DateTimeOffset? now = null,
        TimeSpan? ttl = null) =>
        Stored(
            deviceId,
            url,
            owner,
            new NornDestination
            {
                Http = new HttpDestination { Url = url, Secret = secret, FailureUrl = failureUrl, ContentType = contentType },
            },
            filter,
            now,
            ttl);

    /// <summary>A stored SQS norn, written at <paramref name="now"/>, with its id derived from device and queue URL.</summary>
    /// <param name="deviceId">The canonical device id.</param>
    /// <param name="sqs">The destination; its queue URL is the destination key.</param>
    /// <param name="owner">The owner.</param>
    /// <param name="now">The write time (default <see cref="T0"/>).</param>
    /// <param name="ttl">The time to live (default one hour).</param>
    /// <returns>The norn.</returns>
    public static Norn Sqs(string deviceId, SqsDestination sqs, string owner = Owner, DateTimeOffset? now = null, TimeSpan? ttl = null)
    {
        ArgumentNullException.ThrowIfNull(sqs);
        return Stored(deviceId, sqs.QueueUrl, owner, new NornDestination { Sqs = sqs }, filter: null, now, ttl);
    }

    /// <summary>A registration request for an HTTP destination.</summary>
    /// <param name="deviceId">The device id, in any spelling the API accepts.</param>
    /// <param name="url">The delivery URL.</param>
    /// <param name="ttl">The time to live in seconds.</param>
    /// <param name="secret">The HMAC secret (default none).</param>
    /// <param name="failureUrl">The cut-off notice URL.</param>
    /// <param name="contentType">The delivery body format (default: the server's).</param>
    /// <param name="filter">The filter.</param>
    /// <returns>The request.</returns>
    public static NornRequest HttpRequest(
        string deviceId,
        Uri url,
        long ttl = 3600,
        string? secret = null,
        Uri? failureUrl = null,
        string? contentType = null,
        NornFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        return HttpRequest(deviceId, url.ToString(), ttl, secret, failureUrl?.ToString(), contentType, filter);
    }

    /// <summary>A registration request for an HTTP destination.</summary>
    /// <param name="deviceId">The device id, in any spelling the API accepts.</param>
    /// <param name="url">The delivery URL.</param>
    /// <param name="ttl">The time to live in seconds.</param>
    /// <param name="secret">The HMAC secret (default none).</param>
    /// <param name="failureUrl">The cut-off notice URL.</param>
    /// <param name="contentType">The delivery body format (default: the server's).</param>
    /// <param name="filter">The filter.</param>
    /// <returns>The request.</returns>
    public static NornRequest HttpRequest(
        string deviceId,
        string url,
        long ttl = 3600,
        string? secret = null,
        string? failureUrl = null,
        string? contentType = null,
        NornFilter? filter = null) => new()
        {
            DeviceId = deviceId,
            Ttl = ttl,
            Destination = new DestinationRequest
            {
                Http = new HttpDestinationRequest { Url = url, Secret = secret, FailureUrl = failureUrl, ContentType = contentType },
            },
            Filter = filter,
        };

    /// <summary>A registration request for an SQS queue.</summary>
    /// <param name="deviceId">The device id, in any spelling the API accepts.</param>
    /// <param name="queueUrl">The queue URL.</param>
    /// <param name="accessKeyId">The norn's AWS access key id (with <paramref name="secretAccessKey"/>), or none.</param>
    /// <param name="secretAccessKey">The norn's AWS secret access key.</param>
    /// <param name="sessionToken">The AWS session token.</param>
    /// <param name="region">The region (default: from the URL or the host).</param>
    /// <param name="delaySeconds">The SQS delivery delay.</param>
    /// <param name="failureUrl">Where failures are reported.</param>
    /// <param name="secret">The secret that signs the failure notices.</param>
    /// <param name="ttl">The time to live in seconds.</param>
    /// <returns>The request.</returns>
    public static NornRequest SqsRequest(
        string deviceId,
        string queueUrl,
        string? accessKeyId = null,
        string? secretAccessKey = null,
        string? sessionToken = null,
        string? region = null,
        int? delaySeconds = null,
        Uri? failureUrl = null,
        string? secret = null,
        long ttl = 3600) => new()
        {
            DeviceId = deviceId,
            Ttl = ttl,
            Destination = new DestinationRequest
            {
                Sqs = new SqsDestinationRequest
                {
                    QueueUrl = queueUrl,
                    Region = region,
                    DelaySeconds = delaySeconds,
                    AccessKeyId = accessKeyId,
                    SecretAccessKey = secretAccessKey,
                    SessionToken = sessionToken,
                    FailureUrl = failureUrl?.ToString(),
                    Secret = secret,
                },
            },
        };

    /// <summary>The request as the JSON body of <c>POST /norns</c> (camelCase, unset properties left out).</summary>
    /// <param name="request">The request.</param>
    /// <returns>The JSON text.</returns>
    public static string ToJson(this NornRequest request) => JsonSerializer.Serialize(request, RequestJson);

    private static Norn Stored(
        string deviceId, string destinationKey, string owner, NornDestination destination, NornFilter? filter, DateTimeOffset? now, TimeSpan? ttl)
    {
        var at = now ?? T0;
        return new Norn
        {
            Id = NornIdentity.Derive(deviceId, destinationKey),
            DeviceId = deviceId,
            Owner = owner,
            Destination = destination,
            Filter = filter,
            ExpiresAt = at + (ttl ?? TimeSpan.FromHours(1)),
            CreatedAt = at,
            UpdatedAt = at,
        };
    }
}
