using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mimisbrunnr.Server;

/// <summary>
/// What an operator of the sample server gets besides the API: metrics (OpenTelemetry; a Prometheus scrape endpoint,
/// on by default), traces and metrics over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, the OpenAPI document at
/// <c>/openapi/v1.json</c>, and the operator dashboard (Basic or Bearer, like <c>/norns</c>).
/// </summary>
/// <remarks>
/// Keys: <c>Server:Metrics:Enabled</c> (default true) and <c>Server:Metrics:Path</c> (default <c>/metrics</c>);
/// <c>Server:Dashboard:Enabled</c> (default true) and <c>Server:Dashboard:Path</c> (default <c>/dashboard</c>);
/// <c>Server:OpenApi:Enabled</c> (default true); the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>,
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> and <c>OTEL_SERVICE_NAME</c> environment variables.
/// </remarks>
internal static partial class ServerOperability
{
    /// <summary>Adds telemetry, the OpenAPI document and the dashboard's services.</summary>
    public static void AddServerOperability(this WebApplicationBuilder builder, IMimisbrunnrBuilder mimisbrunnr)
    {
        var configuration = builder.Configuration;
        var settings = Settings.From(configuration);
        if (settings.Dashboard)
        {
            mimisbrunnr.AddDashboard();
        }

        if (settings.OpenApi)
        {
            builder.Services.AddOpenApi("v1", options =>
            {
                options.AddDocumentTransformer(MimisbrunnrOpenApi.DescribeDocumentAsync);
                options.AddOperationTransformer(MimisbrunnrOpenApi.DescribeOperationAsync);
            });
        }

        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!settings.Metrics && !otlp)
        {
            return;
        }

        var instance = configuration["Mimisbrunnr:InstanceName"] is { Length: > 0 } name ? name : Environment.MachineName;
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } service ? service : "mimisbrunnr",
                serviceInstanceId: instance))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MimisbrunnrTelemetry.MeterName);
                if (settings.Metrics)
                {
                    metrics.AddPrometheusExporter();
                }
            });
        if (otlp)
        {
            // Traces only when someone collects them: /events → mimisbrunnr.route → mimisbrunnr.deliver → mimisbrunnr.deliver.attempt
            // → the HTTP request, whose context the destination receives as traceparent.
            telemetry.WithTracing(tracing => tracing
                .AddSource(MimisbrunnrTelemetry.ActivitySourceName, "System.Net.Http") // HttpClient's own spans under each try
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsOperatorPath(context.Request.Path, settings)));
            telemetry.UseOtlpExporter(); // OTEL_EXPORTER_OTLP_ENDPOINT (and _PROTOCOL, _HEADERS) for metrics, traces and logs
        }
    }

    /// <summary>Maps <c>/metrics</c>, <c>/openapi/v1.json</c> and the dashboard, as configured.</summary>
    public static void MapServerOperability(this WebApplication app)
    {
        var settings = Settings.From(app.Configuration);
        settings.Validate();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mimisbrunnr.Server");
        if (settings.Metrics)
        {
            app.MapPrometheusScrapingEndpoint(settings.MetricsPath);
        }

        if (settings.OpenApi)
        {
            app.MapOpenApi("/openapi/{documentName}.json");
        }

        if (settings.Dashboard)
        {
            // The same users as /norns (the default scheme picks Basic or Bearer); the page lists the caller's norns only.
            app.MapMimisbrunnrDashboard(settings.DashboardPath).RequireAuthorization();
        }

        Mapped(
            log,
            settings.Metrics ? settings.MetricsPath : "off",
            settings.OpenApi ? "/openapi/v1.json" : "off",
            settings.Dashboard ? settings.DashboardPath : "off",
            string.IsNullOrWhiteSpace(app.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) ? "off" : "on");
    }

    private static bool IsOperatorPath(PathString path, Settings settings) =>
        (settings.Metrics && path.StartsWithSegments(settings.MetricsPath, StringComparison.OrdinalIgnoreCase))
        || (settings.Dashboard && path.StartsWithSegments(settings.DashboardPath, StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(1, LogLevel.Information, "Metrics: {Metrics}; OpenAPI: {OpenApi}; dashboard: {Dashboard}; OTLP export: {Otlp}")]
    private static partial void Mapped(ILogger logger, string metrics, string openApi, string dashboard, string otlp);

    private sealed record Settings(bool Metrics, string MetricsPath, bool Dashboard, string DashboardPath, bool OpenApi)
    {
        public static Settings From(IConfiguration configuration) => new(
            configuration.GetValue("Server:Metrics:Enabled", true),
            Path(configuration["Server:Metrics:Path"], "/metrics"),
            configuration.GetValue("Server:Dashboard:Enabled", true),
            Path(configuration["Server:Dashboard:Path"], "/dashboard"),
            configuration.GetValue("Server:OpenApi:Enabled", true));

        /// <summary>Throws (the server then exits with status 2) when a path is not a path.</summary>
        public void Validate()
        {
            Check(MetricsPath, "Server:Metrics:Path", "/metrics");
            Check(DashboardPath, "Server:Dashboard:Path", "/dashboard");
        }

        private static string Path(string? value, string fallback) =>
            string.IsNullOrWhiteSpace(value) ? fallback : value.Length > 1 ? value.TrimEnd('/') : value;

        private static void Check(string value, string key, string example)
        {
            if (value.Length < 2 || !value.StartsWith('/') || value.Contains("//", StringComparison.Ordinal)
                || !Uri.IsWellFormedUriString(value, UriKind.Relative))
            {
                throw new InvalidOperationException($"{key} '{value}' must be a path such as {example}.");
            }
        }
    }
}
