using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Hosting;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>The dashboard's page and its data, in process: who may read it and what it says.</summary>
public sealed class DashboardDataTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_data_needs_a_caller_and_lists_only_the_callers_active_norns_with_host_wide_totals()
    {
        await using var sink = await SinkServer.StartAsync(Ct);
        await using var host = await StartAsync();
        var alices = await CreateNornAsync(host, "alice", "mac:aaaaaaaaaaaa", sink.Url("/alice"));
        var bobs = await CreateNornAsync(host, "bob", "mac:bbbbbbbbbbbb", sink.Url("/bob"));
        await CreateNornAsync(host, "alice", "mac:cccccccccccc", sink.Url("/quiet"));

        using (var anonymous = await host.SendAsync(HttpMethod.Get, "dashboard/data", user: null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus("mac:aaaaaaaaaaaa", transaction: "a-1")));
        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus("mac:aaaaaaaaaaaa", transaction: "a-2")));
        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus("mac:bbbbbbbbbbbb", transaction: "b-1")));
        await sink.WaitForRequestsAsync(3);

        var data = await Eventually.ValueAsync(
            () => ReadAsync(host, "alice"),
            d => d.GetProperty("totals").GetProperty("delivered").GetInt64() == 3,
            "three deliveries in the totals",
            TimeSpan.FromSeconds(30));

        var totals = data.GetProperty("totals");
        Assert.Equal(3, totals.GetProperty("eventsReceived").GetInt64());
        Assert.Equal(0, totals.GetProperty("failed").GetInt64());
        Assert.Equal(8, totals.GetProperty("dropped").EnumerateObject().Count()); // every reason, and "other"
        var hostFigures = data.GetProperty("host");
        Assert.Equal(3, hostFigures.GetProperty("registeredNorns").GetInt32());
        Assert.Equal(2, hostFigures.GetProperty("activeNorns").GetInt32());
        Assert.Equal(0, hostFigures.GetProperty("bufferedBytes").GetInt64());
        Assert.Equal(1, data.GetProperty("series").GetProperty("intervalSeconds").GetInt32());

        // Only alice's active norn: not bob's, not her quiet one.
        var norn = Assert.Single(data.GetProperty("norns").EnumerateArray());
        Assert.Equal(alices, norn.GetProperty("id").GetString());
        Assert.Equal("active", norn.GetProperty("delivery").GetProperty("state").GetString());
        Assert.Equal(2, norn.GetProperty("delivery").GetProperty("delivered").GetInt64());
        var bobsView = await ReadAsync(host, "bob");
        Assert.Equal([bobs], bobsView.GetProperty("norns").EnumerateArray().Select(n => n.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task The_page_and_its_assets_are_served_with_a_strict_content_security_policy()
    {
        await using var host = await StartAsync();

        using var page = await host.SendAsync(HttpMethod.Get, "dashboard", "alice");
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("<script src=\"/dashboard/dashboard.js\" defer></script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("%BASE%", html, StringComparison.Ordinal);

        using var script = await host.SendAsync(HttpMethod.Get, "dashboard/dashboard.js", "alice");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        using var style = await host.SendAsync(HttpMethod.Get, "dashboard/dashboard.css", "alice");
        Assert.Equal("text/css", style.Content.Headers.ContentType?.MediaType);

        // With the host's policy on the group, the page itself asks for credentials.
        using var anonymous = await host.SendAsync(HttpMethod.Get, "dashboard/", user: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Mapping_the_dashboard_without_its_services_names_the_missing_call()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(
            async () => await MimisbrunnrTestHost.StartAsync(o => o.Map = app => app.MapMimisbrunnrDashboard()));
        Assert.Contains("AddDashboard()", ex.Message, StringComparison.Ordinal);
    }

    private static Task<MimisbrunnrTestHost> StartAsync() => MimisbrunnrTestHost.StartAsync(o =>
    {
        o.Services = services => services.AddAuthorization();
        o.Mimisbrunnr = builder => builder.AddDashboard();
        o.Map = app =>
        {
            app.UseAuthorization();
            app.MapMimisbrunnrDashboard().RequireAuthorization();
        };
    });

    private static async Task<string> CreateNornAsync(MimisbrunnrTestHost host, string user, string device, Uri url)
    {
        var (status, id) = await host.CreateNornAsync(user, TestNorns.HttpRequest(device, url, secret: TestNorns.Secret));
        Assert.Equal(HttpStatusCode.Created, status);
        return id!;
    }

    private static async Task<JsonElement> ReadAsync(MimisbrunnrTestHost host, string user)
    {
        using var response = await host.SendAsync(HttpMethod.Get, "dashboard/data", user);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return document.RootElement.Clone();
    }
}
