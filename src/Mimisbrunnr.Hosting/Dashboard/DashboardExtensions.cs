using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Mimisbrunnr.DependencyInjection;

namespace Mimisbrunnr.Hosting;

/// <summary>The operator dashboard: host-wide rates and figures, and the caller's active norns, live in a browser.</summary>
public static class DashboardExtensions
{
    /// <summary>Adds what the dashboard needs: the per-second rates, sampled from the <c>Mimisbrunnr</c> meter.</summary>
    /// <param name="builder">The Mimisbrunnr builder.</param>
    /// <returns>The builder.</returns>
    public static IMimisbrunnrBuilder AddDashboard(this IMimisbrunnrBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<DashboardRates>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DashboardRates>(static sp => sp.GetRequiredService<DashboardRates>()));
        return builder;
    }

    /// <summary>
    /// Maps the dashboard page at <paramref name="pattern"/> and its data at <c>{pattern}/data</c>. The data needs an
    /// authenticated caller (401 otherwise) and lists only the caller's norns; protect the whole group with the host's
    /// policy (<c>.RequireAuthorization()</c>) so that the page itself asks for credentials too.
    /// </summary>
    /// <param name="endpoints">The app or a route group.</param>
    /// <param name="pattern">The page's path (default <c>/dashboard</c>).</param>
    /// <returns>The dashboard's route group (excluded from OpenAPI descriptions).</returns>
    /// <exception cref="InvalidOperationException"><c>AddDashboard()</c> (or <c>AddMimisbrunnr()</c>) was not called.</exception>
    public static RouteGroupBuilder MapMimisbrunnrDashboard(this IEndpointRouteBuilder endpoints, string pattern = "/dashboard")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        if (endpoints.ServiceProvider.GetService<IServiceProviderIsService>()?.IsService(typeof(DashboardRates)) != true)
        {
            throw new InvalidOperationException(
                "The dashboard's services are not registered. Call services.AddMimisbrunnr().AddDashboard() before app.MapMimisbrunnrDashboard().");
        }

        var group = endpoints.MapGroup(pattern).WithTags("Dashboard").ExcludeFromDescription();
        group.MapGet("/", DashboardEndpoints.GetPage).WithName("Mimisbrunnr.Dashboard");
        group.MapGet("/dashboard.js", DashboardEndpoints.GetScript);
        group.MapGet("/dashboard.css", DashboardEndpoints.GetStyle);
        group.MapGet("/data", DashboardEndpoints.GetData).WithName("Mimisbrunnr.DashboardData");
        return group;
    }
}
