using System.Diagnostics;
using Mimisbrunnr.Testing;
using Npgsql;

namespace Mimisbrunnr.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL server the tests use, from the variables tools/start-postgres.sh exports:
/// <c>MIMISBRUNNR_PG_CONNECTION</c> (required), and <c>MIMISBRUNNR_PG_CTL</c>, <c>MIMISBRUNNR_PG_DATA</c>,
/// <c>MIMISBRUNNR_PG_LOG</c>, <c>MIMISBRUNNR_PG_USER</c> for restarting it.
/// </summary>
internal static class PostgreSqlServer
{
    private static readonly Lazy<NpgsqlDataSource?> Admin = new(() =>
        ConnectionString is { } connectionString ? NpgsqlDataSource.Create(connectionString) : null);

    /// <summary>The configured connection string, or <see langword="null"/>.</summary>
    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable("MIMISBRUNNR_PG_CONNECTION") is { Length: > 0 } value ? value : null;

    /// <summary>Skips (locally) or fails (CI) the test when no server is configured.</summary>
    /// <returns>The configured connection string.</returns>
    public static string Require()
    {
        if (ConnectionString is not { } connectionString)
        {
            Integration.Unavailable("PostgreSQL not configured (MIMISBRUNNR_PG_CONNECTION)");
            throw new UnreachableException();
        }

        return connectionString;
    }

    /// <summary>Runs SQL on the configured (administrative) database.</summary>
    public static async Task ExecuteAsync(string sql, CancellationToken cancellationToken = default)
    {
        Require();
        await using var command = Admin.Value!.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs a scalar query on the configured (administrative) database.</summary>
    public static async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken = default)
    {
        Require();
        await using var command = Admin.Value!.CreateCommand(sql);
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Terminates a backend (as if its connection broke).</summary>
    public static async Task<bool> TerminateAsync(int processId, CancellationToken cancellationToken = default) =>
        await ScalarAsync($"SELECT pg_terminate_backend({processId});", cancellationToken) is true;

    /// <summary>
    /// Restarts the server with pg_ctl (fast mode: every connection is closed), as the user that runs it, and waits
    /// until it accepts connections again.
    /// </summary>
    public static async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        Require();
        var pgCtl = Environment.GetEnvironmentVariable("MIMISBRUNNR_PG_CTL");
        var data = Environment.GetEnvironmentVariable("MIMISBRUNNR_PG_DATA");
        var log = Environment.GetEnvironmentVariable("MIMISBRUNNR_PG_LOG");
        var user = Environment.GetEnvironmentVariable("MIMISBRUNNR_PG_USER");
        if (string.IsNullOrEmpty(pgCtl) || string.IsNullOrEmpty(data) || string.IsNullOrEmpty(log))
        {
            Integration.Unavailable("PostgreSQL restart not configured (MIMISBRUNNR_PG_CTL, MIMISBRUNNR_PG_DATA, MIMISBRUNNR_PG_LOG)");
            return;
        }

        string[] pgCtlArguments = ["-D", data, "-l", log, "-w", "-t", "60", "-m", "fast", "restart"];
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (!string.IsNullOrEmpty(user) && !string.Equals(user, Environment.UserName, StringComparison.Ordinal))
        {
            start.FileName = "runuser";
            foreach (var argument in (string[])["-u", user, "--", pgCtl, .. pgCtlArguments])
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start.FileName = pgCtl;
            foreach (var argument in pgCtlArguments)
            {
                start.ArgumentList.Add(argument);
            }
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Assert.True(process.ExitCode == 0, $"pg_ctl restart failed ({process.ExitCode}): {await output} {await error}");

        // The administrative pool's connections died with the server.
        Admin.Value!.Clear();
    }
}

/// <summary>A database of its own for a test or a test class, dropped (with its connections) on dispose.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    /// <summary>The connection string of the configured server, with this database.</summary>
    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync(CancellationToken cancellationToken = default)
    {
        var server = PostgreSqlServer.Require();
        var name = "t_" + Guid.NewGuid().ToString("N");
        await PostgreSqlServer.ExecuteAsync($"CREATE DATABASE {name};", cancellationToken);
        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new TestDatabase(name, builder.ConnectionString);
    }

    /// <summary>This database's connection string as another user.</summary>
    public string As(string user, string password) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Username = user, Password = password }.ConnectionString;

    /// <summary>Runs SQL in this database (own connection, not pooled).</summary>
    public async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
#pragma warning disable CA2100 // Test SQL.
        await using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await PostgreSqlServer.ExecuteAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE);");
        }
        catch (NpgsqlException)
        {
            // Best effort: the cluster is removed at the end of the run anyway.
        }
    }
}
