using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>
/// The sample server's callers in XMiDT's style, as a process: JWT bearer tokens minted here (HMAC, and RSA published
/// through a JWKS document or OpenID discovery served by a Kestrel key server), owner from <c>sub</c>, partner ids from
/// <c>allowedResources.allowedPartners</c>, bascule capabilities; Basic users matched ignoring case.
/// </summary>
public sealed class SampleServerJwtTests : SinkAndDatabaseTest
{
    private const string SigningKey = "a-signing-key-of-at-least-32-bytes!";
    private const string Prefix = "x1:webpa:api";

    [Fact]
    public async Task An_hmac_token_names_the_owner_by_sub_and_the_partner_ids_by_its_allowed_resources()
    {
        await using var server = await StartAsync("--Server:Jwt:SigningKey=" + SigningKey);
        var token = Hmac(Claims("alice", ["comcast", "sky"]));

        using var created = await server.SendAsync(HttpMethod.Post, "norns", token, Norn("/alice"));
        using var listed = await server.SendAsync(HttpMethod.Get, "norns", Hmac(Claims("alice", ["comcast"])));
        using var otherOwner = await server.SendAsync(HttpMethod.Get, "norns", Hmac(Claims("bob", ["comcast"])));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var norn = await created.ReadJsonAsync();
        Assert.Equal(["comcast", "sky"], norn.GetProperty("partnerIds").EnumerateArray().Select(e => e.GetString()));
        Assert.Single((await listed.ReadJsonAsync()).EnumerateArray());
        Assert.Empty((await otherOwner.ReadJsonAsync()).EnumerateArray());
    }

    [Fact]
    public async Task A_token_without_partner_ids_gets_400_an_expired_one_401_and_a_forged_one_401()
    {
        await using var server = await StartAsync("--Server:Jwt:SigningKey=" + SigningKey);

        using var noPartners = await server.SendAsync(HttpMethod.Post, "norns", Hmac(Claims("alice", null)), Norn("/x"));
        using var expired = await server.SendAsync(
            HttpMethod.Post, "norns", Hmac(Claims("alice", ["p"]), expires: DateTime.UtcNow.AddMinutes(-10)), Norn("/x"));
        using var forged = await server.SendAsync(
            HttpMethod.Post, "norns", Hmac(Claims("alice", ["p"]), key: "another-signing-key-of-32-bytes!!!"), Norn("/x"));

        Assert.Equal(HttpStatusCode.BadRequest, noPartners.StatusCode);
        Assert.Equal("partnerIds", (await noPartners.ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    [Fact]
    public async Task Capabilities_in_bascules_convention_allow_paths_and_methods()
    {
        await using var server = await StartAsync("--Server:Jwt:SigningKey=" + SigningKey, "--Server:Jwt:Capabilities:Prefix=" + Prefix);

        using var readOnlyGet = await server.SendAsync(HttpMethod.Get, "norns", Hmac(Claims("alice", ["p"], [$"{Prefix}:/norns:get"])));
        using var readOnlyPost = await server.SendAsync(HttpMethod.Post, "norns", Hmac(Claims("alice", ["p"], [$"{Prefix}:/norns:get"])), Norn("/c"));
        using var otherPrefix = await server.SendAsync(HttpMethod.Get, "norns", Hmac(Claims("alice", ["p"], ["x1:other:api:.*:all"])));
        using var none = await server.SendAsync(HttpMethod.Get, "norns", Hmac(Claims("alice", ["p"])));
        using var all = await server.SendAsync(HttpMethod.Post, "norns", Hmac(Claims("alice", ["p"], [$"{Prefix}:.*:all"])), Norn("/c"));
        using var basic = await server.SendAsync(HttpMethod.Get, "norns", token: null);

        Assert.Equal(HttpStatusCode.OK, readOnlyGet.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, readOnlyPost.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherPrefix.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
        Assert.Equal(HttpStatusCode.Created, all.StatusCode);
        Assert.Equal(HttpStatusCode.OK, basic.StatusCode); // Basic users have no capabilities to check
    }

    [Fact]
    public async Task Rsa_keys_come_from_a_jwks_document_url()
    {
        using var rsa = RSA.Create(2048);
        await using var keys = await KeyServer.StartAsync(rsa, "k1");
        await using var server = await StartAsync("--Server:Jwt:KeysUrl=" + keys.Url("/keys"));

        using var created = await server.SendAsync(HttpMethod.Post, "norns", Rsa(rsa, "k1", Claims("alice", ["p"])), Norn("/rsa"));
        using var unknownKey = await server.SendAsync(HttpMethod.Post, "norns", Rsa(RSA.Create(2048), "k2", Claims("alice", ["p"])), Norn("/rsa"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownKey.StatusCode);
    }

    [Fact]
    public async Task Rsa_keys_come_from_openid_discovery_at_the_authority()
    {
        using var rsa = RSA.Create(2048);
        await using var keys = await KeyServer.StartAsync(rsa, "k1");
        var issuer = keys.Url("").ToString().TrimEnd('/');
        await using var server = await StartAsync(
            "--Server:Jwt:Authority=" + issuer, "--Server:Jwt:RequireHttpsMetadata=false", "--Server:Jwt:Issuer=" + issuer);

        using var created = await server.SendAsync(HttpMethod.Post, "norns", Rsa(rsa, "k1", Claims("alice", ["p"]), issuer), Norn("/oidc"));
        using var wrongIssuer = await server.SendAsync(HttpMethod.Post, "norns", Rsa(rsa, "k1", Claims("alice", ["p"]), "https://other.example"), Norn("/oidc"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongIssuer.StatusCode);
    }

    [Fact]
    public async Task Basic_user_names_match_ignoring_case_and_are_one_owner()
    {
        await using var server = await StartAsync();

        using var created = await server.SendAsync(HttpMethod.Post, "norns", token: null, Norn("/basic"), basicUser: "DEV");
        using var listed = await server.SendAsync(HttpMethod.Get, "norns", token: null, basicUser: "dev");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Single((await listed.ReadJsonAsync()).EnumerateArray());
        Assert.Equal(["comcast"], (await created.ReadJsonAsync()).GetProperty("partnerIds").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Two_key_sources_at_once_stop_the_server_naming_the_keys()
    {
        using var process = SampleServerProcess.Start(
            $"--urls=http://127.0.0.1:{SampleServerProcess.FreePort()}",
            $"--ConnectionStrings:Norns=Data Source={Database.Path}",
            "--Mimisbrunnr:Events:Secret=s",
            "--Server:Jwt:SigningKey=" + SigningKey,
            "--Server:Jwt:KeysUrl=http://127.0.0.1:1/keys");
        await process.WaitForExitAsync();

        Assert.Equal(2, process.Process.ExitCode);
        Assert.Contains("Server:Jwt:KeysUrl", process.Errors, StringComparison.Ordinal);
    }

    private string Norn(string path) => TestNorns.HttpRequest("mac:112233445566", Sink.Url(path), secret: TestNorns.Secret).ToJson();

    private async Task<Server> StartAsync(params string[] jwt)
    {
        var port = SampleServerProcess.FreePort();
        var process = SampleServerProcess.Start(
        [
            $"--urls=http://127.0.0.1:{port}",
            $"--ConnectionStrings:Norns=Data Source={Database.Path}",
            "--Mimisbrunnr:Events:Secret=s",
            "--Mimisbrunnr:Destinations:AllowPrivateNetworks=true",
            "--Server:Users:dev=dev-password",
            "--Server:Partners:Dev:0=comcast",
            .. jwt,
        ]);
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await process.WaitUntilUpAsync(client);
        return new Server(process, client);
    }

    private static Dictionary<string, object> Claims(string sub, string[]? partners, string[]? capabilities = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = sub };
        if (partners is not null)
        {
            claims["allowedResources"] = new Dictionary<string, object> { ["allowedPartners"] = partners };
        }

        if (capabilities is not null)
        {
            claims["capabilities"] = capabilities;
        }

        return claims;
    }

    private static string Hmac(Dictionary<string, object> claims, DateTime? expires = null, string key = SigningKey) =>
        Mint(claims, new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256), expires, null);

    private static string Rsa(RSA rsa, string keyId, Dictionary<string, object> claims, string? issuer = null) =>
        Mint(claims, new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = keyId }, SecurityAlgorithms.RsaSha256), null, issuer);

    private static string Mint(Dictionary<string, object> claims, SigningCredentials credentials, DateTime? expires, string? issuer)
    {
        var notBefore = (expires ?? DateTime.UtcNow.AddMinutes(10)).AddHours(-1);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            Issuer = issuer,
            NotBefore = notBefore,
            IssuedAt = notBefore,
            Expires = expires ?? DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = credentials,
        });
    }

    private sealed class Server(SampleServerProcess process, HttpClient client) : IAsyncDisposable
    {
        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, string? json = null, string basicUser = "dev")
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = token is null
                ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basicUser + ":dev-password")))
                : new AuthenticationHeaderValue("Bearer", token);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            return await client.SendAsync(request, TestContext.Current.CancellationToken);
        }

        public ValueTask DisposeAsync()
        {
            client.Dispose();
            process.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A key server on 127.0.0.1: a JWKS document at /keys and OpenID discovery pointing at it.</summary>
    private sealed class KeyServer(WebApplication app, Uri address) : IAsyncDisposable
    {
        public Uri Url(string path) => new(address, path);

        public static async Task<KeyServer> StartAsync(RSA rsa, string keyId)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = keyId });
            var jwks = JsonSerializer.Serialize(new
            {
                keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } },
            });
            app.MapGet("/keys", () => Results.Text(jwks, "application/json"));
            app.MapGet("/.well-known/openid-configuration", (HttpContext context) =>
            {
                var issuer = $"{context.Request.Scheme}://{context.Request.Host}";
                return Results.Text(JsonSerializer.Serialize(new { issuer, jwks_uri = issuer + "/keys" }), "application/json");
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new KeyServer(app, new Uri(address + "/"));
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
