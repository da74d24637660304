using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Dispatch;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// The operator dashboard: one HTML page with its script and style (embedded in this assembly, no build step, no
/// third-party code) and <c>data</c>, the JSON it polls every second.
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>The most norns of the caller the data lists.</summary>
    public const int MaxNorns = 100;

    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

    private static readonly Lazy<string> Page = new(() => Resource("dashboard.html"));
    private static readonly Lazy<string> Script = new(() => Resource("dashboard.js"));
    private static readonly Lazy<string> Style = new(() => Resource("dashboard.css"));

    public static IResult GetPage(HttpContext context)
    {
        // Absolute paths, so that the page works at /dashboard and at /dashboard/, under any prefix or path base.
        var basePath = (context.Request.PathBase + context.Request.Path).ToUriComponent().TrimEnd('/');
        SetHeaders(context);
        return Results.Content(Page.Value.Replace("%BASE%", WebUtility.HtmlEncode(basePath), StringComparison.Ordinal), "text/html; charset=utf-8");
    }

    public static IResult GetScript(HttpContext context)
    {
        SetHeaders(context);
        return Results.Content(Script.Value, "text/javascript; charset=utf-8");
    }

    public static IResult GetStyle(HttpContext context)
    {
        SetHeaders(context);
        return Results.Content(Style.Value, "text/css; charset=utf-8");
    }

    public static IResult GetData(
        HttpContext context, [FromServices] NornDeliveryMonitor monitor, [FromServices] DashboardRates rates, IOptionsMonitor<MimisbrunnrApiOptions> options)
    {
        if (NornEndpoints.Owner(context, options.CurrentValue) is not { } owner)
        {
            return Problems.Unauthenticated();
        }

        var host = monitor.GetHostStatus();
        var (totals, series) = rates.Read();
        SetHeaders(context);
        return Results.Json(
            new DashboardData
            {
                Instance = host.Instance,
                At = host.At,
                Host = host,
                Totals = totals,
                Series = series,
                Norns = monitor.GetActiveNorns(owner, MaxNorns),
            },
            OperabilityJsonContext.Default.DashboardData);
    }

    private static void SetHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
    }

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Mimisbrunnr.Hosting.Dashboard." + name)
            ?? throw new InvalidOperationException($"The dashboard resource {name} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
