using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Diagnostics;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// <c>POST {prefix}/webhook/cutoff</c>: Caduceus's own cut-off notice. When this host cannot keep up with Caduceus,
/// Caduceus drops its events for a while and posts a failure message to the registration's <c>failure_url</c>
/// (<c>Mimisbrunnr:Webhook:FailureUrl</c>), signed like the events (<c>X-Webpa-Signature</c>, HMAC-SHA1 with the
/// registration secret, which is <c>Mimisbrunnr:Events:Secret</c>). The notice is logged, counted
/// (<c>mimisbrunnr.caduceus.cutoffs</c>) and the registration is renewed at once.
/// </summary>
internal static partial class CaduceusCutOffEndpoint
{
    public static async Task<IResult> HandleAsync(
        HttpContext context,
        IOptionsMonitor<MimisbrunnrEventsOptions> events,
        [FromServices] RegistrationWakeSignal wake,
        [FromServices] CaduceusCutOffMetrics metrics,
        ILoggerFactory loggerFactory)
    {
        var options = events.CurrentValue;
        var logger = loggerFactory.CreateLogger(typeof(CaduceusCutOffEndpoint));
        var body = await HttpBody.ReadAsync(context.Request, options.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            return Problems.TooLarge(options.MaxBodyBytes);
        }

        if (!string.IsNullOrEmpty(options.Secret)
            && !EventEndpoint.SignatureMatches(context.Request.Headers[EventEndpoint.SignatureHeader].ToString(), options.Secret, body))
        {
            metrics.Count("bad_signature");
            LogRejected(logger);
            return Problems.Create(
                StatusCodes.Status403Forbidden,
                "Bad signature",
                $"The {EventEndpoint.SignatureHeader} header is missing or does not match the body.");
        }

        metrics.Count("accepted");
        LogCutOff(logger, CutOffPeriod(body) ?? "an unstated period");
        wake.Wake();
        return Results.NoContent();
    }

    /// <summary>The <c>cut_off_period</c> of Caduceus's failure message (for the log), if it has one.</summary>
    internal static string? CutOffPeriod(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("cut_off_period", out var period)
                && period.ValueKind == JsonValueKind.String
                && period.GetString() is { Length: > 0 and <= 32 } text
                ? text
                : null;
        }
        catch (JsonException)
        {
            return null; // signed, so it came from Caduceus; its wording does not matter
        }
    }

    [LoggerMessage(EventIds.CaduceusCutOff, LogLevel.Warning,
        "Caduceus cut this host off for {CutOffPeriod} (it could not keep up); registering the webhook again now.")]
    private static partial void LogCutOff(ILogger logger, string cutOffPeriod);

    [LoggerMessage(EventIds.CaduceusCutOffRejected, LogLevel.Warning,
        "A cut-off notice without a valid X-Webpa-Signature was refused (403).")]
    private static partial void LogRejected(ILogger logger);
}

/// <summary>The <c>mimisbrunnr.caduceus.cutoffs</c> counter.</summary>
internal sealed class CaduceusCutOffMetrics
{
    private readonly Counter<long> _notices;

    public CaduceusCutOffMetrics(IMeterFactory meterFactory)
    {
        _notices = meterFactory.Create(MimisbrunnrTelemetry.MeterName).CreateCounter<long>(
            "mimisbrunnr.caduceus.cutoffs",
            "{notice}",
            "Cut-off notices Caduceus posted to this host's failure URL, by outcome (accepted, bad_signature).");
    }

    public void Count(string outcome) => _notices.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
