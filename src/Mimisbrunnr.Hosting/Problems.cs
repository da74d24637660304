using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Mimisbrunnr.Hosting;

/// <summary>RFC 7807 problem details, with <c>field</c> and <c>rule</c> extensions for validation errors.</summary>
internal static class Problems
{
    public static IResult Create(int status, string title, string detail, string? field = null, string? rule = null)
    {
        Dictionary<string, object?>? extensions = null;
        if (field is not null || rule is not null)
        {
            extensions = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (!string.IsNullOrEmpty(field))
            {
                extensions["field"] = field;
            }

            if (!string.IsNullOrEmpty(rule))
            {
                extensions["rule"] = rule;
            }
        }

        return Results.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
    }

    public static IResult Invalid(string detail, string? field, string? rule) =>
        Create(StatusCodes.Status400BadRequest, "Invalid request", detail, field, rule);

    /// <summary>
    /// 401: the host's default challenge runs first (so that its scheme sets <c>WWW-Authenticate</c>, RFC 9110
    /// §15.5.2), then the problem body is written, unless the challenge answered otherwise (a redirect to a login
    /// page, say). A host without authentication gets the problem alone.
    /// </summary>
    public static IResult Unauthenticated() => new UnauthenticatedResult(
        Create(StatusCodes.Status401Unauthorized, "Unauthenticated", "This request needs an authenticated caller."));

    public static IResult NotFound(string id) =>
        Create(StatusCodes.Status404NotFound, "Not found", $"No norn with id '{id}' exists for this caller.");

    public static IResult TooLarge(int maxBytes) =>
        Create(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body exceeds the limit of {maxBytes} bytes.");

    public static IResult UnsupportedMediaType(string mediaType, string allowed) =>
        Create(
            StatusCodes.Status415UnsupportedMediaType,
            "Unsupported content type",
            $"Content-Type '{(mediaType.Length == 0 ? "(none)" : mediaType)}' is not supported; use {allowed}.");

    private sealed class UnauthenticatedResult(IResult problem) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var schemes = httpContext.RequestServices.GetService<IAuthenticationSchemeProvider>();
            if (schemes is not null && await schemes.GetDefaultChallengeSchemeAsync().ConfigureAwait(false) is not null)
            {
                await httpContext.ChallengeAsync().ConfigureAwait(false);
                if (httpContext.Response.HasStarted || httpContext.Response.StatusCode != StatusCodes.Status401Unauthorized)
                {
                    return;
                }
            }

            await problem.ExecuteAsync(httpContext).ConfigureAwait(false);
        }
    }
}
