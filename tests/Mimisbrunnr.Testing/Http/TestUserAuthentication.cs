using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Testing.Http;

/// <summary>
/// Test authentication for hosts under test: the caller is whoever the <see cref="UserHeader"/> header names (as a
/// name identifier claim); without the header the request is anonymous. The caller's partner ids are those the
/// <see cref="PartnersHeader"/> header lists (comma separated; an empty header: none), or <c>*</c> (every partner) when
/// the header is absent, as claims of the API's default partner claim type.
/// </summary>
public sealed class TestUserAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "Test";

    /// <summary>The header that names the caller.</summary>
    public const string UserHeader = "X-Test-User";

    /// <summary>The header that lists the caller's partner ids.</summary>
    public const string PartnersHeader = "X-Test-Partners";

    /// <summary>The claim type the partner ids are given as (the API's default).</summary>
    public const string PartnerClaim = "allowedResources.allowedPartners";

    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var user = Request.Headers[UserHeader].ToString();
        if (string.IsNullOrEmpty(user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user) };
        var partners = Request.Headers.TryGetValue(PartnersHeader, out var listed) ? listed.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : ["*"];
        claims.AddRange(partners.Select(static p => new Claim(PartnerClaim, p)));
        var identity = new ClaimsIdentity(claims, SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}

/// <summary>Registers <see cref="TestUserAuthenticationHandler"/>.</summary>
public static class TestUserAuthentication
{
    /// <summary>Adds authentication with <see cref="TestUserAuthenticationHandler"/> as the default scheme.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The authentication builder.</returns>
    public static AuthenticationBuilder AddTestUserAuthentication(this IServiceCollection services) =>
        services.AddAuthentication(TestUserAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestUserAuthenticationHandler>(TestUserAuthenticationHandler.SchemeName, null);
}
