using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Mimisbrunnr.Argus.Tests;

/// <summary>How the double misbehaves, for the store's failure paths.</summary>
public enum ArgusFault
{
    /// <summary>Answers normally.</summary>
    None,

    /// <summary>Drops every connection without an answer (as a server that is down or unreachable).</summary>
    Down,

    /// <summary>Answers every store request with 500.</summary>
    ServerError,

    /// <summary>Holds every answer for <see cref="ArgusDouble.SlowDelay"/> first.</summary>
    Slow,

    /// <summary>Answers bucket listings (polls) with 500 and everything else normally.</summary>
    ListingsFail,
}

/// <summary>
/// An Argus server for tests: a real Kestrel server on 127.0.0.1 implementing Argus v0.11's store API and rules —
/// routes, id, bucket and owner formats (400 with the reason in <c>X-Xmidt-Error</c>), owner binding (403), owner-filtered
/// listings and admin, ttl clamping and expiry by a clock the test controls, data nesting, Basic and HS256 bearer
/// authentication — plus an XMiDT token source at <c>/auth</c> and fault injection. Item data is re-encoded with
/// sorted keys, as Argus's Go maps do.
/// </summary>
public sealed partial class ArgusDouble : IAsyncDisposable
{
    public const string AdminCapability = "xmidt:svc:admin";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<string, StoredItem>> _buckets = new(StringComparer.Ordinal);
    private readonly List<string> _requests = [];
    private readonly Queue<int> _failNext = new();
    private WebApplication? _app;

    private ArgusDouble(TimeProvider clock)
    {
        Clock = clock;
    }

    /// <summary>The server's base address, <c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The clock of ttl and token expiry (a FakeTimeProvider when the test needs to move time).</summary>
    public TimeProvider Clock { get; }

    /// <summary>The server's itemMaxTTL (default 24 h).</summary>
    public TimeSpan ItemMaxTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The deepest data nesting accepted (default 30).</summary>
    public int MaxDepth { get; set; } = 30;

    /// <summary>The owner header this server reads (<c>X-Xmidt-Owner</c>; older servers <c>X-Midt-Owner</c>).</summary>
    public string OwnerHeader { get; set; } = "X-Xmidt-Owner";

    /// <summary>Whether every store request must be authenticated (Basic or Bearer).</summary>
    public bool RequireAuth { get; set; }

    /// <summary>Basic users (user → password); Basic callers are never admin.</summary>
    public Dictionary<string, string> Users { get; } = new(StringComparer.Ordinal);

    /// <summary>The HS256 key bearer tokens are signed with.</summary>
    public byte[] JwtKey { get; } = RandomNumberGenerator.GetBytes(32);

    /// <summary>Basic credentials (<c>user:password</c>) the token source at <c>/auth</c> requires, or none.</summary>
    public string? AuthBasic { get; set; }

    /// <summary>Whether tokens from <c>/auth</c> carry the admin capability.</summary>
    public bool AuthIssuesAdmin { get; set; }

    /// <summary>The fault in force.</summary>
    public ArgusFault Fault { get; set; }

    /// <summary>How long <see cref="ArgusFault.Slow"/> holds each answer (real time).</summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many tokens <c>/auth</c> has issued.</summary>
    public int TokensIssued { get; private set; }

    /// <summary>Every request received (<c>METHOD /path</c>), in arrival order, including faulted ones.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<ArgusDouble> StartAsync(TimeProvider? clock = null)
    {
        var argus = new ArgusDouble(clock ?? TimeProvider.System);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(argus.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        argus.Address = new Uri(address.EndsWith('/') ? address : address + "/");
        argus._app = app;
        return argus;
    }

    /// <summary>The next <paramref name="count"/> store requests answer <paramref name="status"/>.</summary>
    public void FailNext(int count, int status = 500)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _failNext.Enqueue(status);
            }
        }
    }

    /// <summary>An HS256 JWT this server accepts, expiring after <paramref name="lifetime"/> by <see cref="Clock"/>.</summary>
    public string MintJwt(string subject, bool admin, TimeSpan? lifetime = null, byte[]? key = null)
    {
        var header = Base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8);
        var claims = new JsonObject
        {
            ["sub"] = subject,
            ["exp"] = (Clock.GetUtcNow() + (lifetime ?? TimeSpan.FromHours(1))).ToUnixTimeSeconds(),
            ["capabilities"] = admin ? new JsonArray(AdminCapability, "other") : new JsonArray("other"),
        };
        var payload = Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = Base64Url(HMACSHA256.HashData(key ?? JwtKey, Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }

    /// <summary>How many live items a bucket holds (all owners).</summary>
    public int ItemCount(string bucket)
    {
        lock (_gate)
        {
            var now = Clock.GetUtcNow();
            return _buckets.TryGetValue(bucket, out var items) ? items.Values.Count(i => !i.IsExpired(now)) : 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        lock (_gate)
        {
            _requests.Add($"{request.Method} {request.Path}");
        }

        switch (Fault)
        {
            case ArgusFault.Down:
                context.Abort();
                return;
            case ArgusFault.Slow:
                await Task.Delay(SlowDelay, context.RequestAborted).ConfigureAwait(false);
                break;
        }

        if (request.Path == "/auth")
        {
            await TokenAsync(context);
            return;
        }

        var segments = request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length is < 4 or > 5 || segments[0] != "api" || segments[1] != "v1" || segments[2] != "store")
        {
            context.Response.StatusCode = 404;
            return;
        }

        int? injected = null;
        lock (_gate)
        {
            if (_failNext.Count > 0)
            {
                injected = _failNext.Dequeue();
            }
        }

        if (injected is { } status)
        {
            Fail(context, status, "injected failure");
            return;
        }

        if (Fault == ArgusFault.ServerError)
        {
            Fail(context, 500, "DB operation failed");
            return;
        }

        if (!Authenticate(context, out var admin))
        {
            return;
        }

        var bucket = segments[3];
        var owner = request.Headers[OwnerHeader].ToString();
        if (segments.Length == 4)
        {
            if (Fault == ArgusFault.ListingsFail)
            {
                Fail(context, 500, "DB operation failed");
                return;
            }

            if (request.Method != "GET")
            {
                context.Response.StatusCode = 405;
                return;
            }

            if (!BucketPattern().IsMatch(bucket))
            {
                Fail(context, 400, "Invalid bucket format.");
                return;
            }

            if (owner.Length > 0 && !OwnerPattern().IsMatch(owner))
            {
                Fail(context, 400, "Invalid Owner format.");
                return;
            }

            await ListAsync(context, bucket, owner, admin);
            return;
        }

        var id = segments[4];
        if (!IdPattern().IsMatch(id))
        {
            Fail(context, 400, "Invalid ID format. Expecting the format of a SHA-256 message digest.");
            return;
        }

        if (!BucketPattern().IsMatch(bucket))
        {
            Fail(context, 400, "Invalid bucket format.");
            return;
        }

        if (owner.Length > 0 && !OwnerPattern().IsMatch(owner))
        {
            Fail(context, 400, "Invalid Owner format.");
            return;
        }

        switch (request.Method)
        {
            case "PUT":
                await PutAsync(context, bucket, id, owner, admin);
                break;
            case "GET":
            case "DELETE":
                await GetOrDeleteAsync(context, bucket, id, owner, admin, delete: request.Method == "DELETE");
                break;
            default:
                context.Response.StatusCode = 405;
                break;
        }
    }

    private async Task PutAsync(HttpContext context, string bucket, string id, string owner, bool admin)
    {
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body is null || (body.TryGetPropertyValue("data", out var raw) && raw is not null and not JsonObject)
            || (body["id"] is { } idNode && idNode.GetValueKind() != JsonValueKind.String)
            || (body["ttl"] is { } ttlNode && ttlNode.GetValueKind() != JsonValueKind.Number))
        {
            Fail(context, 400, "Failed to unmarshal json payload.");
            return;
        }

        if (body["data"] is not JsonObject data || data.Count == 0)
        {
            Fail(context, 400, "Data field must be set in payload.");
            return;
        }

        if ((string?)body["id"] != id)
        {
            Fail(context, 400, "IDs must match between the URL and payload.");
            return;
        }

        var maxSeconds = (long)ItemMaxTtl.TotalSeconds;
        var ttl = body["ttl"] is { } t && t.GetValue<double>() is var seconds && seconds <= maxSeconds ? (long)seconds : maxSeconds;
        if (Depth(data) > MaxDepth)
        {
            Fail(context, 400, "Depth of item data JSON is too large.");
            return;
        }

        var normalized = Sorted(data)!.ToJsonString();
        bool existed;
        lock (_gate)
        {
            var now = Clock.GetUtcNow();
            if (!_buckets.TryGetValue(bucket, out var items))
            {
                _buckets[bucket] = items = new SortedDictionary<string, StoredItem>(StringComparer.Ordinal);
            }

            existed = items.TryGetValue(id, out var existing) && !existing.IsExpired(now);
            if (existed && !admin && existing!.Owner != owner)
            {
                Fail(context, 403, "resource owner mismatch");
                return;
            }

            items[id] = new StoredItem(existed ? existing!.Owner : owner, normalized, now + TimeSpan.FromSeconds(ttl));
        }

        context.Response.StatusCode = existed ? 200 : 201;
    }

    private async Task GetOrDeleteAsync(HttpContext context, string bucket, string id, string owner, bool admin, bool delete)
    {
        StoredItem? item;
        DateTimeOffset now;
        lock (_gate)
        {
            now = Clock.GetUtcNow();
            item = _buckets.TryGetValue(bucket, out var items) && items.TryGetValue(id, out var found) ? found : null;
            if (item is not null && item.IsExpired(now))
            {
                items!.Remove(id);
                item = null;
            }

            if (item is null)
            {
                Fail(context, 404, "Item not found");
                return;
            }

            if (!admin && item.Owner != owner)
            {
                Fail(context, 403, "resource owner mismatch");
                return;
            }

            if (delete)
            {
                items!.Remove(id);
            }
        }

        await WriteJsonAsync(context, Item(id, item, now).ToJsonString());
    }

    private async Task ListAsync(HttpContext context, string bucket, string owner, bool admin)
    {
        var list = new JsonArray();
        lock (_gate)
        {
            var now = Clock.GetUtcNow();
            if (_buckets.TryGetValue(bucket, out var items))
            {
                foreach (var (id, item) in items.ToList())
                {
                    if (item.IsExpired(now))
                    {
                        items.Remove(id);
                    }
                    else if ((admin && owner.Length == 0) || item.Owner == owner)
                    {
                        list.Add(Item(id, item, now));
                    }
                }
            }
        }

        await WriteJsonAsync(context, list.ToJsonString());
    }

    private async Task TokenAsync(HttpContext context)
    {
        if (AuthBasic is not null
            && context.Request.Headers.Authorization.ToString() != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(AuthBasic)))
        {
            context.Response.StatusCode = 401;
            return;
        }

        lock (_gate)
        {
            TokensIssued++;
        }

        var token = new JsonObject { ["serviceAccessToken"] = MintJwt("mimisbrunnr", AuthIssuesAdmin), ["expires_in"] = 3600 };
        await WriteJsonAsync(context, token.ToJsonString());
    }

    private bool Authenticate(HttpContext context, out bool admin)
    {
        admin = false;
        var authorization = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(authorization))
        {
            if (!RequireAuth)
            {
                return true;
            }

            context.Response.Headers.WWWAuthenticate = "Bearer";
            Fail(context, 401, "missing credentials");
            return false;
        }

        if (authorization.StartsWith("Basic ", StringComparison.Ordinal))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..]));
            }
            catch (FormatException)
            {
                decoded = string.Empty;
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && Users.TryGetValue(decoded[..colon], out var password) && password == decoded[(colon + 1)..])
            {
                return true;
            }
        }
        else if (authorization.StartsWith("Bearer ", StringComparison.Ordinal) && VerifyJwt(authorization["Bearer ".Length..], out admin))
        {
            return true;
        }

        Fail(context, 403, "invalid credentials");
        return false;
    }

    private bool VerifyJwt(string token, out bool admin)
    {
        admin = false;
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        try
        {
            using var header = JsonDocument.Parse(FromBase64Url(parts[0]));
            if (!header.RootElement.TryGetProperty("alg", out var alg) || alg.GetString() != "HS256")
            {
                return false;
            }

            var expected = HMACSHA256.HashData(JwtKey, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            if (!CryptographicOperations.FixedTimeEquals(expected, FromBase64Url(parts[2])))
            {
                return false;
            }

            using var claims = JsonDocument.Parse(FromBase64Url(parts[1]));
            var root = claims.RootElement;
            if (!root.TryGetProperty("exp", out var exp) || DateTimeOffset.FromUnixTimeSeconds(exp.GetInt64()) <= Clock.GetUtcNow())
            {
                return false;
            }

            admin = root.TryGetProperty("capabilities", out var capabilities) && capabilities.ValueKind == JsonValueKind.Array
                && capabilities.EnumerateArray().Any(c => c.ValueKind == JsonValueKind.String && c.GetString() == AdminCapability);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }

    private static JsonObject Item(string id, StoredItem item, DateTimeOffset now) => new()
    {
        ["id"] = id,
        ["data"] = JsonNode.Parse(item.Data),
        ["ttl"] = (long)(item.ExpiresAt - now).TotalSeconds,
    };

    /// <summary>Argus's depth: the data object is 1, each nested object one more (arrays are not descended).</summary>
    private static int Depth(JsonObject data)
    {
        var deepest = 1;
        foreach (var (_, value) in data)
        {
            if (value is JsonObject child)
            {
                deepest = Math.Max(deepest, 1 + Depth(child));
            }
        }

        return deepest;
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Sorted)]),
        null => null,
        _ => node.DeepClone(),
    };

    private static void Fail(HttpContext context, int status, string reason)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["X-Xmidt-Error"] = reason;
    }

    private static async Task WriteJsonAsync(HttpContext context, string json)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    [GeneratedRegex(@"^[0-9a-f]{64}\z")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^[0-9a-z][0-9a-z-]{1,61}[0-9a-z]\z")]
    private static partial Regex BucketPattern();

    [GeneratedRegex(@"^.{10,60}\z")]
    private static partial Regex OwnerPattern();

    private sealed record StoredItem(string Owner, string Data, DateTimeOffset ExpiresAt)
    {
        // As Argus's in-memory store: remaining seconds are truncated, and an item with less than one second left is gone.
        public bool IsExpired(DateTimeOffset now) => (long)(ExpiresAt - now).TotalSeconds <= 0;
    }
}
