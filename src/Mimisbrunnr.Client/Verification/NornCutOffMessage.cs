using System.Text.Json.Serialization;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Client.Verification;

/// <summary>
/// The failure message Mimisbrunnr POSTs to a norn's failure URL when the norn is cut off because its consumer could
/// not keep up: Caduceus's text, the norn (without secrets), how long deliveries are dropped, and the buffer size.
/// </summary>
public sealed class NornCutOffMessage
{
    /// <summary>The explanation, Caduceus's text word for word.</summary>
    public required string Text { get; init; }

    /// <summary>The norn that was cut off, as <c>GET /norns/{id}</c> shows it.</summary>
    public required NornResponse Norn { get; init; }

    /// <summary>How long events for the norn are dropped from the moment of the cut-off.</summary>
    public required TimeSpan CutOffPeriod { get; init; }

    /// <summary>The size of the norn's buffer that overflowed.</summary>
    public required int QueueSize { get; init; }

    /// <summary>How many deliveries run at once for the norn.</summary>
    public required int WorkerCount { get; init; }
}

/// <summary>The failure message as written on the wire (snake_case; the period as a Go duration).</summary>
internal sealed class CutOffMessageDocument
{
    [JsonPropertyName("text")]
    public string? Text { get; set; }

    [JsonPropertyName("norn")]
    public NornResponse? Norn { get; set; }

    [JsonPropertyName("cut_off_period")]
    public string? CutOffPeriod { get; set; }

    [JsonPropertyName("queue_size")]
    public int? QueueSize { get; set; }

    [JsonPropertyName("worker_count")]
    public int? WorkerCount { get; set; }
}
