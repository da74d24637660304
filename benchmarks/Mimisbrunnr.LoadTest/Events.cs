using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.LoadTest;

/// <summary>A signed event body, ready to post to <c>/events</c>.</summary>
/// <param name="Body">The WRP msgpack message.</param>
/// <param name="Signature">The <c>X-Webpa-Signature</c> value: <c>sha1=&lt;hex HMAC-SHA1 of the body&gt;</c>.</param>
internal sealed record SignedEvent(byte[] Body, string Signature);

/// <summary>
/// Builds the device events the generators post, as Caduceus would: WRP msgpack (msg_type 4), <c>source</c>
/// <c>mac:&lt;12 hex&gt;/service</c>, <c>dest</c> <c>event:device-status/mac:&lt;12 hex&gt;/online</c>, signed with
/// the events secret. The send time travels in the <c>transaction_uuid</c> (<c>e2e-&lt;16 hex&gt;-&lt;seq&gt;</c>),
/// which both the product (WRP JSON) and the forwarder (the msgpack bytes as received) deliver verbatim, so the
/// sink finds it in either body without decoding.
/// </summary>
internal static class Events
{
    /// <summary>The name of the header that carries the signature.</summary>
    public const string SignatureHeader = "X-Webpa-Signature";

    /// <summary>The media type of the event bodies.</summary>
    public const string MsgPack = "application/msgpack";

    private static readonly byte[] StampMarker = "e2e-"u8.ToArray();

    private static readonly byte[] Payload = Encoding.UTF8.GetBytes(
        """{"id":"mac:0123456789ab","ts":"2030-01-01T12:00:00Z","reason":"ssl-online","fw":"TG3482G-5.2p1s1","boot":1893499200}""");

    /// <summary>Device groups: each scenario's norns and events use their own range of MAC addresses.</summary>
    public enum Devices
    {
        /// <summary>The norns of the ingest scenario.</summary>
        IngestNorns = 0x0001,

        /// <summary>The norns (and events) of the delivery and latency scenarios.</summary>
        DeliveryNorns = 0x0002,

        /// <summary>The norns of the scale probe.</summary>
        ScaleNorns = 0x0003,

        /// <summary>Devices that no norn follows (ingest events).</summary>
        Unfollowed = 0xeeee,
    }

    /// <summary>The canonical id of device <paramref name="number"/> of a group: <c>mac:</c> and 12 lower-case hex digits.</summary>
    public static string DeviceId(Devices group, int number) =>
        string.Create(CultureInfo.InvariantCulture, $"mac:{(int)group:x4}{number:x8}");

    /// <summary>Encodes one event of <paramref name="deviceId"/>.</summary>
    /// <param name="deviceId">The canonical device id.</param>
    /// <param name="stamp">The send time (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>), or 0 for none.</param>
    /// <param name="sequence">A sequence number that makes the transaction id unique.</param>
    /// <returns>The WRP msgpack bytes.</returns>
    public static byte[] Encode(string deviceId, long stamp, long sequence) => WrpMsgPack.Encode(new WrpMessage
    {
        Type = MessageType.SimpleEvent,
        Source = deviceId + "/service",
        Destination = "event:device-status/" + deviceId + "/online",
        TransactionUuid = string.Create(CultureInfo.InvariantCulture, $"e2e-{stamp:x16}-{sequence:x}"),
        ContentType = "application/json",
        Metadata = new Dictionary<string, string> { ["/hw-model"] = "TG3482G", ["/trust"] = "1000" },
        Payload = Payload,
    });

    /// <summary>Encodes and signs one event.</summary>
    public static SignedEvent Create(byte[] key, string deviceId, long stamp, long sequence)
    {
        var body = Encode(deviceId, stamp, sequence);
        return new SignedEvent(body, Sign(key, body));
    }

    /// <summary>
    /// Prepares <paramref name="count"/> signed events without send times, for devices picked at random (fixed seed)
    /// from <paramref name="devices"/>, each device at least once when <paramref name="count"/> allows.
    /// </summary>
    public static SignedEvent[] Prepare(byte[] key, IReadOnlyList<string> devices, int count)
    {
        var random = new Random(1234);
        var order = Enumerable.Range(0, count).Select(i => devices[i % devices.Count]).ToArray();
        random.Shuffle(order);
        return order.Select((device, i) => Create(key, device, 0, i)).ToArray();
    }

    /// <summary>The signature header value: <c>sha1=</c> and the lower-case hex HMAC-SHA1 of the body.</summary>
    public static string Sign(byte[] key, ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[HMACSHA1.HashSizeInBytes];
        HMACSHA1.HashData(key, body, hash);
        return "sha1=" + Convert.ToHexStringLower(hash);
    }

    /// <summary>Checks a signature header value against the body in constant time.</summary>
    public static bool SignatureMatches(string? header, byte[] key, ReadOnlySpan<byte> body)
    {
        const string Prefix = "sha1=";
        Span<byte> given = stackalloc byte[HMACSHA1.HashSizeInBytes];
        if (header is null || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
            || header.Length != Prefix.Length + (given.Length * 2)
            || Convert.FromHexString(header.AsSpan(Prefix.Length), given, out _, out _) != OperationStatus.Done)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA1.HashSizeInBytes];
        HMACSHA1.HashData(key, body, expected);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>Finds the send time in a delivered body (WRP JSON or msgpack); 0 when it has none.</summary>
    public static long ReadStamp(ReadOnlySpan<byte> body)
    {
        var at = body.IndexOf(StampMarker);
        if (at < 0 || body.Length < at + StampMarker.Length + 16)
        {
            return 0;
        }

        return Utf8Parser.TryParse(body.Slice(at + StampMarker.Length, 16), out long stamp, out var consumed, 'x') && consumed == 16
            ? stamp
            : 0;
    }
}
