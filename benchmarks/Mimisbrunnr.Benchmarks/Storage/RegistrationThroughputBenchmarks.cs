using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Sqlite;
using Npgsql;

namespace Mimisbrunnr.Benchmarks.Storage;

/// <summary>
/// Registration throughput: norns created per second through <see cref="NornService"/> (validation, id derivation,
/// the store's owner-checked, quota-checked create, the local index), for the SQLite store and the PostgreSQL store.
/// Every create is a new device and destination; owners rotate over 1,000 names with the default quotas. One
/// operation is one create; an iteration is 400 creates by <see cref="Callers"/> concurrent callers.
/// </summary>
/// <remarks>
/// PostgreSQL comes from <c>MIMISBRUNNR_PG_CONNECTION</c> (start a cluster with tools/start-postgres.sh); each run
/// uses a new database, dropped afterwards. The SQLite file is in a temporary folder.
/// </remarks>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 15)]
[MemoryDiagnoser]
public class RegistrationThroughputBenchmarks
{
    private const int CreatesPerIteration = 400;

    private ServiceProvider _services = null!;
    private NornService _norns = null!;
    private string? _folder;
    private string? _database;
    private int _next;

    /// <summary>The store: SQLite as configured by default (<c>synchronous=FULL</c>), SQLite with <c>synchronous=NORMAL</c>, PostgreSQL.</summary>
    [Params("Sqlite", "SqliteNormal", "PostgreSql")]
    public string Store { get; set; } = "Sqlite";

    /// <summary>Concurrent callers (API requests in flight).</summary>
    [Params(1, 8)]
    public int Callers { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        var builder = services.AddMimisbrunnr(options => options.Destinations.AllowPrivateNetworks = true);
        if (Store.StartsWith("Sqlite", StringComparison.Ordinal))
        {
            _folder = Path.Combine(Path.GetTempPath(), "mimisbrunnr-bench-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_folder);
            builder.UseSqliteStore(
                $"Data Source={Path.Combine(_folder, "norns.db")}", Store == "SqliteNormal" ? SqliteSynchronous.Normal : SqliteSynchronous.Full);
        }
        else
        {
            var server = Environment.GetEnvironmentVariable("MIMISBRUNNR_PG_CONNECTION")
                ?? throw new InvalidOperationException("MIMISBRUNNR_PG_CONNECTION is not set: source tools/start-postgres.sh first.");
            _database = "bench_" + Guid.NewGuid().ToString("N");
            Admin(server, $"CREATE DATABASE {_database};");
            builder.UsePostgreSqlStore(new NpgsqlConnectionStringBuilder(server) { Database = _database }.ConnectionString);
        }

        _services = services.BuildServiceProvider();
        _norns = _services.GetRequiredService<NornService>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        if (_folder is not null)
        {
            Directory.Delete(_folder, recursive: true);
        }

        if (_database is not null)
        {
            Admin(Environment.GetEnvironmentVariable("MIMISBRUNNR_PG_CONNECTION")!, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE);");
        }
    }

    [Benchmark(OperationsPerInvoke = CreatesPerIteration)]
    public async Task Create()
    {
        var perCaller = CreatesPerIteration / Callers;
        var callers = new Task[Callers];
        for (var c = 0; c < Callers; c++)
        {
            callers[c] = Task.Run(async () =>
            {
                for (var i = 0; i < perCaller; i++)
                {
                    var n = Interlocked.Increment(ref _next);
                    var outcome = await _norns.CreateOrUpdateAsync(
                        new(string.Create(CultureInfo.InvariantCulture, $"owner-{n % 1000}")),
                        new NornRequest
                        {
                            DeviceId = string.Create(CultureInfo.InvariantCulture, $"mac:{n:x12}"),
                            Ttl = 3600,
                            Destination = new DestinationRequest
                            {
                                Http = new HttpDestinationRequest
                                {
                                    Url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:9/hooks/{n}"),
                                    Secret = "benchmark-secret",
                                },
                            },
                        });
                    if (!outcome.Created)
                    {
                        throw new InvalidOperationException("A benchmark create did not create.");
                    }
                }
            });
        }

        await Task.WhenAll(callers);
    }

    private static void Admin(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
#pragma warning disable CA2100 // Benchmark set-up SQL with a generated name.
        using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        command.ExecuteNonQuery();
    }
}
