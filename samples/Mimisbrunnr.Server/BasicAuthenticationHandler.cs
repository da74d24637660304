using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Hosting;

namespace Mimisbrunnr.Server;

/// <summary>
/// HTTP Basic authentication against the users in <c>Server:Users</c> (name = password). User names match ignoring
/// case, and the principal carries the name as configured, so <c>dev</c>, <c>Dev</c> and <c>DEV</c> are one owner. The
/// user's partner ids come from <c>Server:Partners:&lt;user&gt;:N</c>, as claims of the type the API reads
/// (<c>Mimisbrunnr:Api:PartnerIdsClaim</c>). A sample's user store: use your identity provider (JWT) in production.
/// </summary>
internal sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IConfiguration configuration,
    IOptionsMonitor<MimisbrunnrApiOptions> api)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Basic";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, SchemeName, StringComparison.OrdinalIgnoreCase)
            || string.IsNullOrEmpty(header.Parameter))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return Task.FromResult(AuthenticateResult.Fail("The Basic credentials are not base64."));
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return Task.FromResult(AuthenticateResult.Fail("The Basic credentials are not user:password."));
        }

        var given = decoded[..colon];
        var password = decoded[(colon + 1)..];

        // Configuration keys ignore case; the owner is the spelling the operator configured.
        var user = configuration.GetSection("Server:Users").GetChildren()
            .FirstOrDefault(c => string.Equals(c.Key, given, StringComparison.OrdinalIgnoreCase));
        if (user?.Value is not { } expected || !CryptographicOperations.FixedTimeEquals(
                Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(expected)))
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown user or wrong password."));
        }

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user.Key), new(ClaimTypes.Name, user.Key) };
        var partnerClaim = api.CurrentValue.PartnerIdsClaim;
        foreach (var partner in configuration.GetSection("Server:Partners").GetSection(user.Key).Get<string[]>() ?? [])
        {
            claims.Add(new Claim(partnerClaim, partner));
        }

        var identity = new ClaimsIdentity(claims, SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Basic realm=\"mimisbrunnr\", charset=\"UTF-8\"";
        return base.HandleChallengeAsync(properties);
    }
}
