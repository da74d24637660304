using Microsoft.AspNetCore.Authorization;

namespace Mimisbrunnr.Server;

/// <summary>
/// The server's authentication, authorization and rate limiting middleware, run only for the endpoints that need them.
/// </summary>
/// <remarks>
/// <para>
/// <c>POST /events</c> and <c>POST /webhook/cutoff</c> allow anonymous callers: Caduceus proves itself with the HMAC
/// signature of the body, which the endpoints check. Running the host's schemes for them anyway (resolving the policy
/// scheme, creating the Basic or Bearer handler, finding no credentials) cost about 8% of the server's CPU time per
/// event under load (profile in benchmarks/results/EndToEnd.md). So the three middleware run in a branch for every
/// request whose endpoint does not carry <see cref="IAllowAnonymous"/> (or also names an authorization of its own):
/// <c>/norns</c>, the dashboard, <c>/metrics</c>, <c>/health</c> and unmatched paths behave exactly as before.
/// </para>
/// <para>
/// <see cref="WebApplication"/> adds <c>UseAuthentication</c>/<c>UseAuthorization</c> at the start of the pipeline when
/// the application did not call them on the application itself; a branch's calls do not count, so the markers it looks
/// for are set here too (<c>SampleServerTests.Sample_server_runs_its_authentication_schemes_for_norns_but_not_for_signed_events</c> fails
/// if the schemes run for <c>/events</c> again).
/// </para>
/// </remarks>
internal static class HostSecurityPipeline
{
    // The keys WebApplication's builder checks before adding the middleware itself (ASP.NET Core's WebApplicationBuilder).
    private const string AuthenticationSetKey = "__AuthenticationMiddlewareSet";
    private const string AuthorizationSetKey = "__AuthorizationMiddlewareSet";

    /// <summary>Adds authentication, authorization and rate limiting for the endpoints that do not allow anonymous callers.</summary>
    public static WebApplication UseHostSecurity(this WebApplication app)
    {
        app.UseWhen(NeedsHostSecurity, static branch => branch.UseAuthentication().UseAuthorization().UseRateLimiter());
        var properties = ((IApplicationBuilder)app).Properties;
        properties[AuthenticationSetKey] = true;
        properties[AuthorizationSetKey] = true;
        return app;
    }

    /// <summary>
    /// Every request but those of an endpoint that allows anonymous callers and names no authorization of its own (an
    /// endpoint with both would need the authorization middleware to run, or the endpoint middleware refuses it).
    /// </summary>
    private static bool NeedsHostSecurity(HttpContext context) =>
        context.GetEndpoint()?.Metadata is not { } metadata
        || metadata.GetMetadata<IAllowAnonymous>() is null
        || metadata.GetMetadata<IAuthorizeData>() is not null;
}
