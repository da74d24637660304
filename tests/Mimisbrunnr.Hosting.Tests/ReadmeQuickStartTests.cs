using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Testing.Storage;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>The README's "Embedding" snippet, compiled and run.</summary>
public sealed class ReadmeQuickStartTests
{
    [Fact]
    public async Task The_readme_embedding_snippet_runs()
    {
        using var database = new TempSqliteDatabase();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mimisbrunnr:Events:Secret"] = "s",
            ["Mimisbrunnr:SecretKeys:0"] = Convert.ToBase64String(new byte[32]),
        });

        // --- README: Embedding in your ASP.NET Core app ---
        builder.Services.AddMimisbrunnr()
            .BindConfiguration(builder.Configuration)
            .UseSqliteStore($"Data Source={database.Path}");
        builder.Services.AddAuthentication();
        builder.Services.AddAuthorization();
        builder.Services.AddHealthChecks().AddMimisbrunnr();

        await using var app = builder.Build();
        app.UseAuthentication();
        app.MapMimisbrunnr("/api/v1").Norns.RequireAuthorization();
        app.MapHealthChecks("/health");

        // --- end of snippet ---
        await app.StartAsync(TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var health = await client.GetAsync("health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var norns = await client.GetAsync("api/v1/norns", TestContext.Current.CancellationToken);
        Assert.NotEqual(HttpStatusCode.OK, norns.StatusCode);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
