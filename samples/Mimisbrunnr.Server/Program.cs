using Microsoft.Extensions.Options;
using Mimisbrunnr.Argus;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Hosting;
using Mimisbrunnr.Server;
using Mimisbrunnr.Sqlite;
using Mimisbrunnr.Sqs;

// Mimisbrunnr as a service of its own: SQLite store, Basic users (and optionally JWT bearer), the /norns and
// /events endpoints, Caduceus registration when configured, and /health.
var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://localhost:6600");
}

var configuration = builder.Configuration;
var storeKind = configuration["Mimisbrunnr:Store"] ?? "Sqlite";
var connectionString = configuration.GetConnectionString("Norns") ?? "Data Source=mimisbrunnr.db";
var mimisbrunnr = builder.Services.AddMimisbrunnr().BindConfiguration(configuration);

// Amazon SQS destination, configured under Mimisbrunnr:Sqs (ServiceUrl: an emulator or VPC endpoint, whose queue URLs
// are then accepted; AllowAmbientCredentials and AllowedQueues: the queues the host's own AWS credentials may write to).
mimisbrunnr.AddSqsDestination();
mimisbrunnr.AddNornRateLimiting(); // Mimisbrunnr:Api:RateLimit:{Enabled, RequestsPerSecond, Burst}
builder.AddServerOperability(mimisbrunnr); // metrics, OTLP, OpenAPI, dashboard (ServerOperability.cs)
try
{
    switch (storeKind.ToUpperInvariant())
    {
        case "SQLITE":
            // Mimisbrunnr:Sqlite:Synchronous: Full (the default: a 201 survives a power loss) or Normal (faster).
            if (!Enum.TryParse<SqliteSynchronous>(configuration["Mimisbrunnr:Sqlite:Synchronous"] ?? nameof(SqliteSynchronous.Full), ignoreCase: true, out var synchronous)
                || !Enum.IsDefined(synchronous))
            {
                Console.Error.WriteLine($"Invalid configuration: Mimisbrunnr:Sqlite:Synchronous '{configuration["Mimisbrunnr:Sqlite:Synchronous"]}' is not Full or Normal.");
                return 2;
            }

            mimisbrunnr.UseSqliteStore(connectionString, synchronous);
            break;
        case "POSTGRESQL":
            // Several instances share the database; ConnectionStrings:Norns is an Npgsql connection string.
            mimisbrunnr.UsePostgreSqlStore(connectionString);
            break;
        case "ARGUS":
            // Norns kept in an XMiDT Argus bucket, as the Go service did: Mimisbrunnr:Argus:{Address, Bucket, PullInterval,
            // Owner, Basic, Jwt:AuthUrl, Jwt:Basic, OwnerHeader, ItemMaxTtl, Timeout}, validated at start.
            mimisbrunnr.UseArgusStore(configuration.GetSection(ArgusStoreOptions.SectionName));
            break;
        default:
            Console.Error.WriteLine($"Invalid configuration: Mimisbrunnr:Store '{storeKind}' is not supported (use Sqlite, PostgreSql or Argus).");
            return 2;
    }
}
catch (ArgumentException ex)
{
    // A connection string the provider cannot parse (an unknown keyword, a bad value).
    Console.Error.WriteLine($"Invalid configuration: ConnectionStrings:Norns for {storeKind}: {ex.Message}");
    return 2;
}

var (jwtStatus, authenticationError) = ServerAuthentication.Add(builder.Services, configuration);
if (authenticationError is not null)
{
    Console.Error.WriteLine("Invalid configuration: " + authenticationError);
    return 2;
}

// After the index's first load and before the server listens: hand back what the load left behind (StartupCompaction.cs).
builder.Services.AddHostedService<StartupCompaction>();

var healthChecks = builder.Services.AddHealthChecks().AddMimisbrunnr();
if (storeKind.Equals("Argus", StringComparison.OrdinalIgnoreCase))
{
    healthChecks.AddMimisbrunnrArgus();
}

WebApplication app;
try
{
    app = builder.Build();
    app.UseHostSecurity();
    app.MapMimisbrunnr(configuration["Mimisbrunnr:Prefix"] ?? string.Empty).Norns
        .RequireCapabilities(configuration)
        .RequireRateLimiting(MimisbrunnrRateLimiting.PolicyName);
    app.MapServerOperability();
    app.MapHealthChecks("/health");
    await app.StartAsync();
}
catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException)
{
    Console.Error.WriteLine("Invalid configuration: " + ex.Message);
    return 2;
}

var users = configuration.GetSection("Server:Users").GetChildren().Select(c => c.Key).ToList();
var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mimisbrunnr.Server");
#pragma warning disable CA1848, CA1873 // Start-up lines, written once.
log.LogInformation("Mimisbrunnr listening on {Urls}", string.Join(", ", app.Urls));
log.LogInformation("Store: {Store} ({ConnectionString})", storeKind,
    storeKind.Equals("Argus", StringComparison.OrdinalIgnoreCase) ? configuration["Mimisbrunnr:Argus:Address"] : Redact(connectionString));
log.LogInformation("Caduceus registration: {Registration}",
    string.IsNullOrEmpty(configuration["Mimisbrunnr:Webhook:RegistrationUrl"]) ? "off" : "on, " + configuration["Mimisbrunnr:Webhook:RegistrationUrl"]);
log.LogInformation("Basic users: {Users}; JWT bearer: {Jwt}", users.Count == 0 ? "(none)" : string.Join(", ", users), jwtStatus);
var sqs = app.Services.GetRequiredService<IOptions<SqsDestinationOptions>>().Value;
log.LogInformation("SQS: endpoint {SqsEndpoint}; ambient credentials {SqsAmbient}",
    sqs.ServiceUrl?.ToString() ?? "AWS", sqs.AllowAmbientCredentials ? "on, for the allowed queues" : "off");
#pragma warning restore CA1848, CA1873
if (app.Environment.IsDevelopment())
{
    var url = app.Urls.FirstOrDefault() ?? "http://localhost:6600";
    Console.WriteLine($$$$"""

        Try it (development user 'dev', password 'dev'; events secret 'dev-secret'):
          curl -u dev:dev -H 'Content-Type: application/json' \
               -d '{"deviceId":"mac:112233445566","ttl":3600,"destination":{"http":{"url":"http://127.0.0.1:9000/hook","secret":"s3cret"}}}' \
               {{{{url}}}}/norns
          curl -u dev:dev {{{{url}}}}/norns
        See README.md for posting a signed event.

        """);
}

await app.WaitForShutdownAsync();
return 0;

static string Redact(string connectionString) =>
    string.Join(';', connectionString.Split(';').Where(part => !part.TrimStart().StartsWith("Password", StringComparison.OrdinalIgnoreCase)));
