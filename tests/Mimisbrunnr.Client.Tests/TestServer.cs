using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Hosting;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Client.Tests;

/// <summary>
/// The shared <see cref="MimisbrunnrTestHost"/> (in-memory store, loopback destinations allowed) with what the client SDK
/// needs of a server: an authentication scheme that accepts Basic users from <see cref="Users"/> and bearer tokens
/// from <see cref="Tokens"/>, and a few hooks around the real endpoints.
/// </summary>
/// <remarks>
/// Hooks: <c>X-Test-Hold</c> holds a request until the client gives up or the server stops (and completes
/// <see cref="RequestHeld"/>); <c>X-Test-Page-Size: n</c> asks <c>GET /norns</c> for pages of n; <c>/broken/…</c>
/// answers what a proxy or another service might (plain text, HTML, a foreign Link).
/// </remarks>
internal sealed class TestServer : IAsyncDisposable
{
    public const string HoldHeader = "X-Test-Hold";
    public const string PageSizeHeader = "X-Test-Page-Size";

    public static readonly IReadOnlyDictionary<string, string> Users = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["alice"] = "wonderland",
        ["bob"] = "builder",
        ["pager"] = "turn-the-page",
        ["renewer"] = "again-and-again",
        ["reader"] = "the-readme",
    };

    private readonly MimisbrunnrTestHost _host;
    private readonly TaskCompletionSource _held;
    private readonly List<HttpClient> _clients = [];

    private TestServer(MimisbrunnrTestHost host, TaskCompletionSource held)
    {
        _host = host;
        _held = held;
    }

    /// <summary>The root of the host, <c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseAddress => _host.BaseAddress;

    /// <summary>The bearer tokens the host accepts.</summary>
    public TokenRegistry Tokens => _host.Services.GetRequiredService<TokenRegistry>();

    /// <summary>Completes when a request with <see cref="HoldHeader"/> has reached the server and is being held.</summary>
    public Task RequestHeld => _held.Task;

    public static async Task<TestServer> StartAsync(
        Action<MimisbrunnrOptions>? engine = null,
        string prefix = "",
        TimeProvider? clock = null)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = await MimisbrunnrTestHost.StartAsync(o =>
        {
            o.Prefix = prefix;
            o.Engine += engine;
            o.Services += services => services.AddSingleton(new TokenRegistry(clock ?? TimeProvider.System));
            o.Mimisbrunnr += builder => builder.ConfigureApi(api => api.QuotaRetryAfterSeconds = 7);
            o.Authentication = services => services.AddAuthentication(TestAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
            o.App += app =>
            {
                app.Use(async (context, next) =>
                {
                    if (context.Request.Headers.ContainsKey(HoldHeader))
                    {
                        held.TrySetResult();
                        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                        using var gone = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
                        await new TaskCompletionSource().Task.WaitAsync(gone.Token); // never answered
                    }

                    // Small pages without a page-size parameter in the SDK: add the server's own limit to a first page.
                    if (context.Request.Headers.TryGetValue(PageSizeHeader, out var limit) && !context.Request.Query.ContainsKey("limit"))
                    {
                        context.Request.QueryString = context.Request.QueryString.Add("limit", limit.ToString());
                    }

                    await next(context);
                });
                MapBrokenEndpoints(app);
            };
        });
        return new TestServer(host, held);
    }

    /// <summary>A client authenticated as a Basic user of <see cref="Users"/>, built by hand (no DI).</summary>
    public NornClient ClientFor(string user, string? password = null, string? path = null, params DelegatingHandler[] handlers) =>
        new(HttpClient(MimisbrunnrCredentials.Basic(user, password ?? Users[user]), path, handlers));

    /// <summary>An <see cref="System.Net.Http.HttpClient"/> with the credentials handler in front of <paramref name="handlers"/>.</summary>
    public HttpClient HttpClient(MimisbrunnrCredentials? credentials, string? path = null, params DelegatingHandler[] handlers)
    {
        HttpMessageHandler handler = new SocketsHttpHandler();
        for (var i = handlers.Length - 1; i >= 0; i--)
        {
            handlers[i].InnerHandler = handler;
            handler = handlers[i];
        }

        if (credentials is not null)
        {
            handler = new MimisbrunnrAuthenticationHandler(credentials, handler);
        }

        var client = new HttpClient(handler) { BaseAddress = path is null ? BaseAddress : new Uri(BaseAddress, path) };
        _clients.Add(client);
        return client;
    }

    /// <summary>Posts an event to <c>/events</c> the way Caduceus does (msgpack, signed) and expects 202.</summary>
    public async Task PostEventAsync(WrpMessage message) =>
        Assert.Equal(HttpStatusCode.Accepted, await _host.PostEventAsync(message));

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _host.DisposeAsync();
    }

    private static void MapBrokenEndpoints(WebApplication app)
    {
        var broken = app.MapGroup("/broken/norns");
        broken.MapGet("/{id}", () => Results.Text("upstream down", "text/plain", statusCode: StatusCodes.Status502BadGateway));
        broken.MapPost("/", () => Results.Text("<html><body>Welcome to the proxy</body></html>", "text/html"));
        broken.MapGet("/", (HttpContext context) =>
        {
            context.Response.Headers.Append("Link", "<http://attacker.example/norns?after=x>; rel=\"next\"");
            return Results.Text("[]", "application/json");
        });
    }

    /// <summary>Bearer tokens the host accepts, each until its expiry; records the tokens it saw.</summary>
    internal sealed class TokenRegistry(TimeProvider clock)
    {
        private readonly ConcurrentDictionary<string, (string User, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);

        public ConcurrentQueue<string> Seen { get; } = new();

        public string Issue(string user, TimeSpan lifetime)
        {
            var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
            _tokens[token] = (user, clock.GetUtcNow() + lifetime);
            return token;
        }

        public string? Authenticate(string token)
        {
            Seen.Enqueue(token);
            return _tokens.TryGetValue(token, out var entry) && clock.GetUtcNow() < entry.Expires ? entry.User : null;
        }
    }

    /// <summary>Basic users of <see cref="Users"/> and bearer tokens of <see cref="TokenRegistry"/>.</summary>
    private sealed class TestAuthenticationHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenRegistry tokens)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "Test";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) || header.Parameter is null)
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            string? user = null;
            if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter)).Split(':', 2);
                if (pair.Length == 2 && Users.TryGetValue(pair[0], out var password) && password == pair[1])
                {
                    user = pair[0];
                }
            }
            else if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            {
                user = tokens.Authenticate(header.Parameter);
            }

            if (user is null)
            {
                return Task.FromResult(AuthenticateResult.Fail("bad credentials"));
            }

            // Every partner, as an operator: the tenancy rules are the server's tests' business.
            Claim[] claims = [new(ClaimTypes.NameIdentifier, user), new(TestUserAuthenticationHandler.PartnerClaim, "*")];
            var identity = new ClaimsIdentity(claims, SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }
    }
}
