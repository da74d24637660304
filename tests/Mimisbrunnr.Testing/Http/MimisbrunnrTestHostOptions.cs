using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Hosting;

namespace Mimisbrunnr.Testing.Http;

/// <summary>
/// What a <see cref="MimisbrunnrTestHost"/> is built with. The hooks are delegates, so helpers and tests can each add
/// theirs with <c>+=</c>.
/// </summary>
public sealed class MimisbrunnrTestHostOptions
{
    /// <summary>The route prefix given to <c>MapMimisbrunnr</c> (default none).</summary>
    public string Prefix { get; set; } = string.Empty;

    /// <summary>A name for messages (default the base address).</summary>
    public string? Name { get; set; }

    /// <summary>The host's clock, registered as its <see cref="TimeProvider"/> (default the system clock).</summary>
    public TimeProvider? Clock { get; set; }

    /// <summary>The lowest level of <see cref="MimisbrunnrTestHost.Logs"/> (default <see cref="LogLevel.Information"/>).</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Information;

    /// <summary>Changes the engine options after the test defaults (loopback allowed, 10 ms retry backoff).</summary>
    public Action<MimisbrunnrOptions>? Engine { get; set; }

    /// <summary>Changes the <c>/events</c> options after the test default (<see cref="MimisbrunnrTestHost.EventsSecret"/>).</summary>
    public Action<MimisbrunnrEventsOptions>? Events { get; set; }

    /// <summary>
    /// Continues the <c>AddMimisbrunnr()</c> builder: the store (in-memory unless this chooses one, for example
    /// <c>b => b.UsePostgreSqlStore(connectionString)</c> or <see cref="UseSqlite"/>), destinations, API options.
    /// </summary>
    public Action<IMimisbrunnrBuilder>? Mimisbrunnr { get; set; }

    /// <summary>Adds services before <c>AddMimisbrunnr()</c> (so its defaults do not replace them).</summary>
    public Action<IServiceCollection>? Services { get; set; }

    /// <summary>Registers authentication (default <see cref="TestUserAuthentication.AddTestUserAuthentication"/>).</summary>
    public Action<IServiceCollection>? Authentication { get; set; }

    /// <summary>Adds middleware or endpoints to the app, before authentication and <c>MapMimisbrunnr</c>.</summary>
    public Action<WebApplication>? App { get; set; }

    /// <summary>
    /// Adds middleware or endpoints to the app after authentication and <c>MapMimisbrunnr</c> (for example
    /// authorization and the dashboard).
    /// </summary>
    public Action<WebApplication>? Map { get; set; }

    /// <summary>Stores norns in a SQLite file.</summary>
    /// <param name="databasePath">The file.</param>
    /// <returns>These options.</returns>
    public MimisbrunnrTestHostOptions UseSqlite(string databasePath)
    {
        Mimisbrunnr += builder => builder.UseSqliteStore($"Data Source={databasePath}");
        return this;
    }
}
