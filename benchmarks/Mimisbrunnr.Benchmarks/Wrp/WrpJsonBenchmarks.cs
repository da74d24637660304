using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Benchmarks.Wrp;

/// <summary>
/// JSON encode/decode of wrp-go's benchmark message (vector <c>simple_event_benchmark_message</c>, 386 bytes of JSON)
/// with <see cref="WrpJson"/>, against System.Text.Json's serializer on an equivalent POCO (the baseline).
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project benchmarks/Mimisbrunnr.Benchmarks -- --filter '*WrpJson*'</c>. The POCO
/// baseline does less than <see cref="WrpJson"/>: it does not escape like Go, sort metadata or follow Go's decoding
/// rules; it is there to show what a general-purpose serializer costs for the same shape.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class WrpJsonBenchmarks
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };

    // simple_event_benchmark_message, as wrp-go's messages_benchmark_test.go getTestMessage() builds it.
    private readonly WrpMessage _message = new()
    {
        Type = MessageType.SimpleEvent,
        Source = "mac:112233445566/service-name/ignored/12344",
        Destination = "event:device-status/foo",
        TransactionUuid = "60dfdf5b-98c5-4e91-95fd-1fa6cb114cf5",
        ContentType = "application/json",
        Headers = ["key1:value1", "key2:value2"],
        Metadata = new Dictionary<string, string> { ["/key/1"] = "value1", ["/key/2"] = "value2" },
        Payload = "{\"key\": \"hello world\"}"u8.ToArray(),
        PartnerIds = ["partner1", "partner2"],
        SessionId = "1234",
        QualityOfService = 0,
    };

    private readonly ArrayBufferWriter<byte> _writer = new(1024);
    private PocoMessage _poco = null!;
    private byte[] _json = null!;

    [GlobalSetup]
    public void Setup()
    {
        _json = WrpJson.Encode(_message);
        _poco = JsonSerializer.Deserialize<PocoMessage>(_json, Options)!;
    }

    [Benchmark(Baseline = true, Description = "STJ serialize POCO")]
    [BenchmarkCategory("Encode")]
    public byte[] EncodeSystemTextJson() => JsonSerializer.SerializeToUtf8Bytes(_poco, Options);

    [Benchmark(Description = "WrpJson.Encode -> byte[]")]
    [BenchmarkCategory("Encode")]
    public byte[] EncodeWrpJson() => WrpJson.Encode(_message);

    [Benchmark(Description = "WrpJson.Encode -> IBufferWriter")]
    [BenchmarkCategory("Encode")]
    public int EncodeWrpJsonBufferWriter()
    {
        _writer.ResetWrittenCount();
        WrpJson.Encode(_message, _writer);
        return _writer.WrittenCount;
    }

    [Benchmark(Baseline = true, Description = "STJ deserialize POCO")]
    [BenchmarkCategory("Decode")]
    public PocoMessage? DecodeSystemTextJson() => JsonSerializer.Deserialize<PocoMessage>(_json, Options);

    [Benchmark(Description = "WrpJson.Decode")]
    [BenchmarkCategory("Decode")]
    public WrpMessage DecodeWrpJson() => WrpJson.Decode(_json);

    /// <summary>The same fields as <see cref="WrpMessage"/>, with wrp-go's JSON names and omitempty as "ignore when null/default".</summary>
    public sealed class PocoMessage
    {
        [JsonPropertyName("msg_type")]
        public long Type { get; set; }

        [JsonPropertyName("source")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Source { get; set; }

        [JsonPropertyName("dest")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Destination { get; set; }

        [JsonPropertyName("transaction_uuid")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? TransactionUuid { get; set; }

        [JsonPropertyName("content_type")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? ContentType { get; set; }

        [JsonPropertyName("accept")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Accept { get; set; }

        [JsonPropertyName("status")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public long? Status { get; set; }

        [JsonPropertyName("rdr")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public long? RequestDeliveryResponse { get; set; }

        [JsonPropertyName("headers")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public List<string>? Headers { get; set; }

        [JsonPropertyName("metadata")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public Dictionary<string, string>? Metadata { get; set; }

        [JsonPropertyName("path")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Path { get; set; }

        [JsonPropertyName("payload")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public byte[]? Payload { get; set; }

        [JsonPropertyName("service_name")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? ServiceName { get; set; }

        [JsonPropertyName("url")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Url { get; set; }

        [JsonPropertyName("partner_ids")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public List<string>? PartnerIds { get; set; }

        [JsonPropertyName("session_id")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? SessionId { get; set; }

        [JsonPropertyName("qos")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        public long QualityOfService { get; set; }
    }
}
