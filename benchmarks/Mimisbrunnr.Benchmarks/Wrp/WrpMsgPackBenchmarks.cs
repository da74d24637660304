using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MessagePack;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Benchmarks.Wrp;

/// <summary>
/// <see cref="WrpMsgPack"/> against MessagePack-CSharp's <see cref="MessagePackSerializer"/> on an equivalent
/// string-keyed <c>[MessagePackObject]</c>, for the SimpleEvent every wrp-go benchmark uses (vector
/// <c>simple_event_benchmark_message</c>, 332 bytes). Both decoders read the same wrp-go bytes.
/// </summary>
/// <remarks>
/// <para>Run: <c>dotnet run -c Release --project benchmarks/Mimisbrunnr.Benchmarks -- --filter '*WrpMsgPack*' --memory</c>.</para>
/// <para>
/// <see cref="WrpMsgPack"/> decodes lazily: <c>Decode</c> checks the whole message but creates its strings, lists, map
/// and payload only when they are read, while the baseline creates everything. "Decode, then read every field" shows
/// the cost when a caller does read everything.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class WrpMsgPackBenchmarks
{
    private const string Encode = "Encode into a reused buffer";
    private const string EncodeArray = "Encode to a new array";
    private const string Decode = "Decode";
    private const string DecodeReadAll = "Decode, then read every field";

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly WrpMessage _message = BenchmarkMessage();
    private readonly WireMessage _wire = WireMessage.From(BenchmarkMessage());
    private byte[] _wrpGoBytes = [];

    /// <summary>The message of wrp-go's messages_benchmark_test.go <c>getTestMessage()</c>, from vectors.json.</summary>
    public static WrpMessage BenchmarkMessage() => new()
    {
        Type = MessageType.SimpleEvent,
        Source = "mac:112233445566/service-name/ignored/12344",
        Destination = "event:device-status/foo",
        TransactionUuid = "60dfdf5b-98c5-4e91-95fd-1fa6cb114cf5",
        ContentType = "application/json",
        Headers = new[] { "key1:value1", "key2:value2" }, // arrays, as decoded messages and the baseline type have
        Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["/key/1"] = "value1", ["/key/2"] = "value2" },
        Payload = "{\"key\": \"hello world\"}"u8.ToArray(),
        PartnerIds = new[] { "partner1", "partner2" },
        SessionId = "1234",
        QualityOfService = 0,
    };

    [GlobalSetup]
    public void Setup()
    {
        // The bytes wrp-go writes for this message (one of its two metadata orders); both decoders read these.
        _wrpGoBytes = WrpMsgPack.Encode(_message);
        if (_wrpGoBytes.Length != 332 || !WrpMsgPack.Decode(_wrpGoBytes).Equals(_message))
        {
            throw new InvalidOperationException("The benchmark message does not round-trip.");
        }

        var viaSerializer = MessagePackSerializer.Deserialize<WireMessage>(_wrpGoBytes);
        if (viaSerializer.Source != _message.Source || viaSerializer.Payload?.Length != _message.Payload!.Length)
        {
            throw new InvalidOperationException("MessagePackSerializer does not read the wrp-go bytes.");
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Encode)]
    public void MessagePackSerializer_Encode()
    {
        _buffer.ResetWrittenCount();
        MessagePackSerializer.Serialize(_buffer, _wire);
    }

    [Benchmark]
    [BenchmarkCategory(Encode)]
    public void WrpMsgPack_Encode()
    {
        _buffer.ResetWrittenCount();
        WrpMsgPack.Encode(_message, _buffer);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(EncodeArray)]
    public byte[] MessagePackSerializer_EncodeToArray() => MessagePackSerializer.Serialize(_wire);

    [Benchmark]
    [BenchmarkCategory(EncodeArray)]
    public byte[] WrpMsgPack_EncodeToArray() => WrpMsgPack.Encode(_message);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Decode)]
    public WireMessage MessagePackSerializer_Decode() => MessagePackSerializer.Deserialize<WireMessage>(_wrpGoBytes);

    [Benchmark]
    [BenchmarkCategory(Decode)]
    public WrpMessage WrpMsgPack_Decode() => WrpMsgPack.Decode(_wrpGoBytes);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(DecodeReadAll)]
    public int MessagePackSerializer_DecodeReadAll()
    {
        var m = MessagePackSerializer.Deserialize<WireMessage>(_wrpGoBytes);
        var total = m.Source!.Length + m.Destination!.Length + m.TransactionUuid!.Length + m.ContentType!.Length
            + m.Payload!.Length + m.SessionId!.Length;
        foreach (var header in m.Headers!)
        {
            total += header.Length;
        }

        foreach (var (key, value) in m.Metadata!)
        {
            total += key.Length + value.Length;
        }

        foreach (var partner in m.PartnerIds!)
        {
            total += partner.Length;
        }

        return total;
    }

    [Benchmark]
    [BenchmarkCategory(DecodeReadAll)]
    public int WrpMsgPack_DecodeReadAll()
    {
        var m = WrpMsgPack.Decode(_wrpGoBytes);
        var total = m.Source.Length + m.Destination.Length + m.TransactionUuid.Length + m.ContentType.Length
            + m.Payload!.Length + m.SessionId.Length;
        foreach (var header in m.Headers!)
        {
            total += header.Length;
        }

        foreach (var (key, value) in m.Metadata!)
        {
            total += key.Length + value.Length;
        }

        foreach (var partner in m.PartnerIds!)
        {
            total += partner.Length;
        }

        return total;
    }
}

/// <summary>The WRP message as a plain string-keyed MessagePack-CSharp object, for the baseline.</summary>
[MessagePackObject]
public sealed class WireMessage
{
    [Key("msg_type")]
    public long Type { get; set; }

    [Key("source")]
    public string? Source { get; set; }

    [Key("dest")]
    public string? Destination { get; set; }

    [Key("transaction_uuid")]
    public string? TransactionUuid { get; set; }

    [Key("content_type")]
    public string? ContentType { get; set; }

    [Key("accept")]
    public string? Accept { get; set; }

    [Key("status")]
    public long? Status { get; set; }

    [Key("rdr")]
    public long? RequestDeliveryResponse { get; set; }

    [Key("headers")]
    public string[]? Headers { get; set; }

    [Key("metadata")]
    public Dictionary<string, string>? Metadata { get; set; }

    [Key("path")]
    public string? Path { get; set; }

    [Key("payload")]
#pragma warning disable CA1819 // Mirrors the wire field for the baseline serializer.
    public byte[]? Payload { get; set; }
#pragma warning restore CA1819

    [Key("service_name")]
    public string? ServiceName { get; set; }

    [Key("url")]
#pragma warning disable CA1056 // A free-form wire string, as in wrp-go.
    public string? Url { get; set; }
#pragma warning restore CA1056

    [Key("partner_ids")]
    public string[]? PartnerIds { get; set; }

    [Key("session_id")]
    public string? SessionId { get; set; }

    [Key("qos")]
    public long QualityOfService { get; set; }

    public static WireMessage From(WrpMessage m) => new()
    {
        Type = (long)m.Type,
        Source = m.Source,
        Destination = m.Destination,
        TransactionUuid = m.TransactionUuid,
        ContentType = m.ContentType,
        Accept = m.Accept,
        Status = m.Status,
        RequestDeliveryResponse = m.RequestDeliveryResponse,
        Headers = m.Headers?.ToArray(),
        Metadata = m.Metadata?.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        Path = m.Path,
        Payload = m.Payload,
        ServiceName = m.ServiceName,
        Url = m.Url,
        PartnerIds = m.PartnerIds?.ToArray(),
        SessionId = m.SessionId,
        QualityOfService = m.QualityOfService,
    };
}
