using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Mimisbrunnr.Server;

/// <summary>
/// The sample's callers: Basic users from <c>Server:Users</c>, and, when <c>Server:Jwt</c> names a key source, JWT
/// bearer tokens in XMiDT's style (owner from <c>sub</c>, partner ids from the configured claim, optional bascule
/// capabilities). One policy scheme picks Bearer or Basic by the Authorization header.
/// </summary>
internal static class ServerAuthentication
{
    public const string Scheme = "MimisbrunnrUsers";

    /// <summary>The JWT key sources, exactly one of which turns bearer tokens on.</summary>
    public static readonly string[] KeySources = ["Authority", "SigningKey", "KeysUrl"];

    /// <summary>Adds the schemes; returns what the start-up log says about JWT, or an error naming the key.</summary>
    public static (string Jwt, string? Error) Add(IServiceCollection services, IConfiguration configuration)
    {
        var authentication = services.AddAuthentication(options =>
        {
            options.DefaultScheme = Scheme;
            options.DefaultChallengeScheme = BasicAuthenticationHandler.SchemeName;
        });
        authentication.AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null);

        var jwt = configuration.GetSection("Server:Jwt");
        var sources = KeySources.Where(k => !string.IsNullOrEmpty(jwt[k])).ToArray();
        if (sources.Length > 1)
        {
            return ("off", $"Server:Jwt: set one of {string.Join(", ", KeySources.Select(k => "Server:Jwt:" + k))}, not {string.Join(" and ", sources)}.");
        }

        Uri? keysUrl = null;
        if (sources is ["KeysUrl"] && (!Uri.TryCreate(jwt["KeysUrl"], UriKind.Absolute, out keysUrl) || keysUrl.Scheme is not ("http" or "https")))
        {
            return ("off", $"Server:Jwt:KeysUrl '{jwt["KeysUrl"]}' is not an absolute http or https URL.");
        }

        var useJwt = sources.Length == 1;
        if (useJwt)
        {
            authentication.AddJwtBearer(options =>
            {
                options.MapInboundClaims = false; // keep sub, capabilities and allowedResources as the token has them
                options.Audience = jwt["Audience"];
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidateIssuer = !string.IsNullOrEmpty(jwt["Issuer"]),
                    ValidIssuer = jwt["Issuer"],
                    ValidateAudience = !string.IsNullOrEmpty(jwt["Audience"]),
                    ValidAudience = jwt["Audience"],
                    NameClaimType = "sub",
                    AuthenticationType = JwtBearerDefaults.AuthenticationScheme,
                };
                switch (sources[0])
                {
                    case "Authority":
                        options.Authority = jwt["Authority"];
                        options.RequireHttpsMetadata = jwt.GetValue("RequireHttpsMetadata", true);
                        break;
                    case "SigningKey":
                        options.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwt["SigningKey"]!));
                        break;
                    default:
                        options.ConfigurationManager = new JwksConfigurationManager(keysUrl!, new HttpClient(), TimeProvider.System);
                        break;
                }
            });
        }

        authentication.AddPolicyScheme(Scheme, "Basic or Bearer", options =>
            options.ForwardDefaultSelector = context =>
                useJwt && context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? JwtBearerDefaults.AuthenticationScheme
                    : BasicAuthenticationHandler.SchemeName);
        services.AddAuthorization();
        return (useJwt ? "on, keys from Server:Jwt:" + sources[0] : "off", null);
    }

    /// <summary>Adds bascule's capability check to the endpoints when <c>Server:Jwt:Capabilities:Prefix</c> is set.</summary>
    public static TBuilder RequireCapabilities<TBuilder>(this TBuilder endpoints, IConfiguration configuration)
        where TBuilder : IEndpointConventionBuilder
    {
        var prefix = configuration["Server:Jwt:Capabilities:Prefix"];
        if (!string.IsNullOrEmpty(prefix))
        {
            endpoints.AddEndpointFilter(new CapabilityFilter(prefix));
        }

        return endpoints;
    }
}
