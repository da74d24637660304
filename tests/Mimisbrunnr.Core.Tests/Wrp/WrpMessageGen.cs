using FsCheck;
using FsCheck.Fluent;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>
/// Builds <see cref="WrpMessage"/> generators from one generator per kind of field, so that each codec's property
/// tests choose the values their format must carry (the strings, numbers and collections differ) and share the rest.
/// </summary>
internal static class WrpMessageGen
{
    public static Gen<WrpMessage> Messages(
        Gen<long> types,
        Gen<string> text,
        Gen<long?> optionalNumbers,
        Gen<IReadOnlyList<string>?> lists,
        Gen<IReadOnlyDictionary<string, string>?> maps,
        Gen<byte[]?> payloads,
        Gen<long> qos) =>
        from type in types
        from source in text
        from destination in text
        from transactionUuid in text
        from contentType in text
        from accept in text
        from status in optionalNumbers
        from rdr in optionalNumbers
        from headers in lists
        from metadata in maps
        from path in text
        from payload in payloads
        from serviceName in text
        from url in text
        from partnerIds in lists
        from sessionId in text
        from quality in qos
        select new WrpMessage
        {
            Type = (MessageType)type,
            Source = source,
            Destination = destination,
            TransactionUuid = transactionUuid,
            ContentType = contentType,
            Accept = accept,
            Status = status,
            RequestDeliveryResponse = rdr,
            Headers = headers,
            Metadata = metadata,
            Path = path,
            Payload = payload,
            ServiceName = serviceName,
            Url = url,
            PartnerIds = partnerIds,
            SessionId = sessionId,
            QualityOfService = quality,
        };

    /// <summary>A metadata map from generated pairs (a repeated key keeps its last value).</summary>
    public static IReadOnlyDictionary<string, string>? Map(IEnumerable<(string Key, string Value)> pairs)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            map[key] = value;
        }

        return map;
    }
}
