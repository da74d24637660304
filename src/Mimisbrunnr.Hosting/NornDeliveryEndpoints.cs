using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// Delivery status on the <c>/norns</c> API: <c>GET /norns/{id}/attempts</c>, and the <c>delivery</c> object that
/// <see cref="DeliveryStatusFilter"/> adds to <c>GET /norns/{id}</c>. Both describe this instance only, and only the
/// caller's own norns (the same 404 as <c>GET /norns/{id}</c> otherwise).
/// </summary>
internal static class NornDeliveryEndpoints
{
    public static async Task<IResult> GetAttemptsAsync(
        HttpContext context, string id, NornService service, [FromServices] NornDeliveryMonitor monitor, IOptionsMonitor<MimisbrunnrApiOptions> options)
    {
        if (NornEndpoints.Owner(context, options.CurrentValue) is not { } owner)
        {
            return Problems.Unauthenticated();
        }

        var norn = await service.GetAsync(owner, id, context.RequestAborted).ConfigureAwait(false);
        return norn is null
            ? Problems.NotFound(id)
            : Results.Json(monitor.GetAttempts(norn.Id), OperabilityJsonContext.Default.NornDeliveryAttempts);
    }
}

/// <summary>
/// Adds this instance's <see cref="NornDeliveryStatus"/> to the norn that <c>GET /norns/{id}</c> answers (the list stays
/// lean). A filter rather than part of the handler so that the status is one concern, in one place.
/// </summary>
internal sealed class DeliveryStatusFilter(NornDeliveryMonitor monitor) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context).ConfigureAwait(false);
        return result is JsonHttpResult<NornResponse> { Value: { } norn } json && (json.StatusCode ?? StatusCodes.Status200OK) == StatusCodes.Status200OK
            ? Results.Json(norn with { Delivery = monitor.GetStatus(norn.Id) }, HostingJsonContext.Default.NornResponse)
            : result;
    }
}
