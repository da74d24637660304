using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Mimisbrunnr.Server;

/// <summary>
/// Bascule's capability check for bearer tokens (<c>Server:Jwt:Capabilities:Prefix</c>): the token's
/// <c>capabilities</c> claim must hold an entry <c>&lt;prefix&gt;:&lt;endpoint regex&gt;:&lt;method or all&gt;</c> whose
/// regex matches the request path (unanchored, as Go's <c>regexp.MatchString</c>) and whose method is the request's,
/// else 403. Basic users are not checked (they have no capabilities).
/// </summary>
internal sealed class CapabilityFilter(string prefix) : IEndpointFilter
{
    public const string ClaimType = "capabilities";

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.User.Identity is { IsAuthenticated: true, AuthenticationType: var type }
            && string.Equals(type, JwtBearerDefaults.AuthenticationScheme, StringComparison.Ordinal)
            && !Allows(http.User.FindAll(ClaimType).Select(c => c.Value), prefix, http.Request.Path.Value ?? "/", http.Request.Method))
        {
            return ValueTask.FromResult<object?>(Results.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Forbidden",
                detail: $"The token has no capability {prefix}:<endpoint>:<method> for {http.Request.Method} {http.Request.Path}."));
        }

        return next(context);
    }

    /// <summary>Whether one of <paramref name="capabilities"/> allows <paramref name="method"/> on <paramref name="path"/>.</summary>
    internal static bool Allows(IEnumerable<string> capabilities, string prefix, string path, string method)
    {
        foreach (var capability in capabilities)
        {
            if (!capability.StartsWith(prefix + ":", StringComparison.Ordinal))
            {
                continue;
            }

            var rest = capability[(prefix.Length + 1)..];
            var lastColon = rest.LastIndexOf(':');
            if (lastColon <= 0)
            {
                continue;
            }

            var endpoint = rest[..lastColon];
            var allowed = rest[(lastColon + 1)..];
            if (!string.Equals(allowed, "all", StringComparison.OrdinalIgnoreCase)
                && !string.Equals(allowed, method, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            try
            {
                if (Regex.IsMatch(path, endpoint, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, MatchTimeout))
                {
                    return true;
                }
            }
            catch (ArgumentException)
            {
                // A capability whose endpoint is not a regex allows nothing.
            }
        }

        return false;
    }
}
