using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Delivery;

/// <summary>
/// The failure message POSTed to a norn's failure URL when it is cut off: Caduceus's shape (PROTOCOL.md §3) with the
/// norn in place of the webhook registration.
/// </summary>
/// <remarks>
/// <c>{"text": …, "norn": {…}, "cut_off_period": "10s", "queue_size": 1000, "worker_count": 1}</c>. The norn is the
/// API's <see cref="NornResponse"/> (camelCase, what <c>GET /norns/{id}</c> returns): it never holds the secret, only
/// <c>hasSecret</c> — rather than Caduceus's <c>"XxxxxX"</c> placeholder, which would read like a real value.
/// <c>cut_off_period</c> is written as Go writes durations.
/// </remarks>
internal sealed record CutOffMessage(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("norn")] NornResponse Norn,
    [property: JsonPropertyName("cut_off_period")] string CutOffPeriod,
    [property: JsonPropertyName("queue_size")] int QueueSize,
    [property: JsonPropertyName("worker_count")] int WorkerCount)
{
    /// <summary>Caduceus's text, word for word (with its double spaces).</summary>
    public const string CaduceusText =
        "Unfortunately, your endpoint is not able to keep up with the traffic being sent to it.  Due to this circumstance, all notification traffic is being cut off and dropped for a period of time.  Please increase your capacity to handle notifications, or reduce the number of notifications you have requested.";

    /// <summary>The UTF-8 JSON body for a norn and a cut-off.</summary>
    public static byte[] Serialize(Norn norn, CutOffNotice notice)
    {
        var message = new CutOffMessage(CaduceusText, NornResponse.From(norn), FormatGoDuration(notice.CutOffPeriod), notice.QueueSize, notice.WorkerCount);
        return JsonSerializer.SerializeToUtf8Bytes(message, CutOffMessageJsonContext.Default.CutOffMessage);
    }

    /// <summary>Formats a duration as Go's <c>time.Duration.String()</c> does: <c>10s</c>, <c>1m30s</c>, <c>1h0m0s</c>, <c>1.5s</c>, <c>250ms</c>.</summary>
    public static string FormatGoDuration(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        var builder = new StringBuilder();
        var nanoseconds = (decimal)duration.Ticks * 100;
        if (nanoseconds < 0)
        {
            builder.Append('-');
            nanoseconds = -nanoseconds;
        }

        const decimal Second = 1_000_000_000m;
        if (nanoseconds < Second)
        {
            var (unit, suffix) = nanoseconds < 1_000m ? (1m, "ns") : nanoseconds < 1_000_000m ? (1_000m, "µs") : (1_000_000m, "ms");
            return builder.Append(Fraction(nanoseconds, unit)).Append(suffix).ToString();
        }

        var hours = decimal.Floor(nanoseconds / (3600 * Second));
        nanoseconds -= hours * 3600 * Second;
        var minutes = decimal.Floor(nanoseconds / (60 * Second));
        nanoseconds -= minutes * 60 * Second;
        if (hours > 0)
        {
            builder.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (hours > 0 || minutes > 0)
        {
            builder.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        return builder.Append(Fraction(nanoseconds, Second)).Append('s').ToString();
    }

    private static string Fraction(decimal value, decimal unit) =>
        (value / unit).ToString("0.#########", CultureInfo.InvariantCulture);
}

/// <summary>Source-generated serialization of <see cref="CutOffMessage"/> (no reflection, trimming-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CutOffMessage))]
internal sealed partial class CutOffMessageJsonContext : JsonSerializerContext;
