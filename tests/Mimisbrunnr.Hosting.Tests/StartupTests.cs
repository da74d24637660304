using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Mimisbrunnr.DependencyInjection;

namespace Mimisbrunnr.Hosting.Tests;

public sealed class StartupTests
{
    [Fact]
    public void MapMimisbrunnr_without_AddMimisbrunnr_names_the_missing_call()
    {
        var app = WebApplication.CreateSlimBuilder().Build();
        var error = Assert.Throws<InvalidOperationException>(() => app.MapMimisbrunnr());
        Assert.Contains("AddMimisbrunnr()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_without_an_events_secret_refuses_to_start_unless_unsigned_is_allowed()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddMimisbrunnr().UseInMemoryStore();
        var app = builder.Build();
        var error = Assert.Throws<OptionsValidationException>(() => app.MapMimisbrunnr());
        Assert.Contains("Mimisbrunnr:Events:Secret", error.Message, StringComparison.Ordinal);

        var allowed = WebApplication.CreateSlimBuilder();
        allowed.Services.AddMimisbrunnr().UseInMemoryStore().ConfigureEvents(o => o.AllowUnsigned = true);
        var ok = allowed.Build();
        Assert.Null(Record.Exception(() => ok.MapMimisbrunnr()));
        var routes = ((IEndpointRouteBuilder)ok).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().Select(e => e.RoutePattern.RawText);
        Assert.Contains("/events", routes);
    }
}
