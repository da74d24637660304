using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Management;

namespace Mimisbrunnr.Hosting;

/// <summary>Maps the Mimisbrunnr HTTP API into an ASP.NET Core app.</summary>
public static class MimisbrunnrEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST/GET {prefix}/norns</c>, <c>GET/PUT/DELETE {prefix}/norns/{id}</c>, <c>GET {prefix}/norns/{id}/attempts</c>,
    /// <c>POST {prefix}/events</c> and, with webhook registration, <c>POST {prefix}/webhook/cutoff</c>.
    /// </summary>
    /// <param name="endpoints">The app or a route group.</param>
    /// <param name="prefix">A path prefix such as <c>/api/v1</c>; empty maps at the root.</param>
    /// <returns>
    /// The mapped endpoints: apply host policies to <see cref="MimisbrunnrEndpoints.Norns"/> (for example
    /// <c>.RequireAuthorization("consumers")</c>); <see cref="MimisbrunnrEndpoints.Events"/> is authenticated by its
    /// HMAC signature.
    /// </returns>
    /// <exception cref="InvalidOperationException"><c>AddMimisbrunnr()</c> was not called.</exception>
    /// <exception cref="OptionsValidationException">The events options are invalid (no secret and unsigned events not allowed).</exception>
    public static MimisbrunnrEndpoints MapMimisbrunnr(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var services = endpoints.ServiceProvider;
        if (services.GetService<IServiceProviderIsService>()?.IsService(typeof(NornService)) != true)
        {
            throw new InvalidOperationException(
                "Mimisbrunnr services are not registered. Call services.AddMimisbrunnr() (and choose a store) before app.MapMimisbrunnr().");
        }

        // Fail at start, not at the first event, when the events endpoint has no way to tell forged events: reading the
        // options runs their validator when the host configured them; a host that never did is checked here.
        var events = services.GetRequiredService<IOptionsMonitor<MimisbrunnrEventsOptions>>().CurrentValue;
        var validation = new EventsOptionsValidator().Validate(Options.DefaultName, events);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(MimisbrunnrEventsOptions), validation.Failures);
        }

        var root = endpoints.MapGroup(prefix);
        var norns = root.MapGroup("/norns").WithTags("Norns").AddEndpointFilter<StoreFailureFilter>();
        norns.MapPost("/", NornEndpoints.CreateAsync).WithName("Mimisbrunnr.CreateNorn").DescribeCreate();
        norns.MapGet("/", NornEndpoints.ListAsync).WithName("Mimisbrunnr.ListNorns").DescribeList();
        norns.MapGet("/{id}", NornEndpoints.GetAsync).WithName("Mimisbrunnr.GetNorn").AddEndpointFilter<DeliveryStatusFilter>().DescribeGet();
        norns.MapGet("/{id}/attempts", NornDeliveryEndpoints.GetAttemptsAsync).WithName("Mimisbrunnr.GetNornAttempts").DescribeAttempts();
        norns.MapPut("/{id}", NornEndpoints.UpdateAsync).WithName("Mimisbrunnr.UpdateNorn").DescribeUpdate();
        norns.MapDelete("/{id}", NornEndpoints.DeleteAsync).WithName("Mimisbrunnr.DeleteNorn").DescribeDelete();

        // Caduceus authenticates with the HMAC signature, not the host's scheme: a fallback policy must not refuse it.
        var eventEndpoint = EventEndpoint.Create(services);
        var ingest = root.MapPost("/events", (HttpContext context, CancellationToken aborted) => eventEndpoint.HandleAsync(context, aborted))
            .WithName("Mimisbrunnr.PostEvents")
            .WithTags("Events")
            .AllowAnonymous()
            .DisableAntiforgery()
            .DescribeEvents();
        if (services.GetService<RegistrationWakeSignal>() is not null)
        {
            // Caduceus's own cut-off notices (Mimisbrunnr:Webhook:FailureUrl), HMAC-signed like /events.
            root.MapPost("/webhook/cutoff", CaduceusCutOffEndpoint.HandleAsync)
                .WithName("Mimisbrunnr.CaduceusCutOff").WithTags("Webhook").AllowAnonymous().DisableAntiforgery().DescribeCutOffNotice();
        }

        return new MimisbrunnrEndpoints(root, norns, ingest);
    }
}

/// <summary>The endpoints <see cref="MimisbrunnrEndpointRouteBuilderExtensions.MapMimisbrunnr"/> mapped.</summary>
public sealed class MimisbrunnrEndpoints : IEndpointConventionBuilder
{
    private readonly RouteGroupBuilder _root;

    internal MimisbrunnrEndpoints(RouteGroupBuilder root, RouteGroupBuilder norns, RouteHandlerBuilder events)
    {
        _root = root;
        Norns = norns;
        Events = events;
    }

    /// <summary>The <c>/norns</c> group: add authorization policies, rate limiting or CORS here.</summary>
    public RouteGroupBuilder Norns { get; }

    /// <summary>The <c>POST /events</c> endpoint (authenticated by its HMAC signature, not by the host's scheme).</summary>
    public RouteHandlerBuilder Events { get; }

    /// <inheritdoc />
    public void Add(Action<EndpointBuilder> convention) => ((IEndpointConventionBuilder)_root).Add(convention);

    /// <inheritdoc />
    public void Finally(Action<EndpointBuilder> finallyConvention) => ((IEndpointConventionBuilder)_root).Finally(finallyConvention);
}
