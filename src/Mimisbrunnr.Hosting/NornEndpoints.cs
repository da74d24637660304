using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Management;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Hosting;

/// <summary>The <c>/norns</c> API: create-or-update, list, get, update and delete, each scoped to the caller.</summary>
internal static class NornEndpoints
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;

    public static async Task<IResult> CreateAsync(
        HttpContext context, NornService service, IOptionsMonitor<MimisbrunnrApiOptions> options)
    {
        var api = options.CurrentValue;
        if (Owner(context, api) is not { } owner)
        {
            return Problems.Unauthenticated();
        }

        var (request, error) = await ReadRequestAsync(context, api).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (await AuthorizeDeviceAsync(context, request!.DeviceId).ConfigureAwait(false) is { } denied)
        {
            return denied;
        }

        var caller = await CallerAsync(context, owner, api).ConfigureAwait(false);
        return await RunAsync(async () =>
        {
            var (body, created) = await service.CreateOrUpdateAsync(caller, request, context.RequestAborted).ConfigureAwait(false);
            if (created)
            {
                context.Response.Headers.Location = NornLocation(context, body.Id);
                return Results.Json(body, HostingJsonContext.Default.NornResponse, statusCode: StatusCodes.Status201Created);
            }

            return Results.Json(body, HostingJsonContext.Default.NornResponse);
        }, api).ConfigureAwait(false);
    }

    public static async Task<IResult> ListAsync(
        HttpContext context, NornService service, IOptionsMonitor<MimisbrunnrApiOptions> options)
    {
        if (Owner(context, options.CurrentValue) is not { } owner)
        {
            return Problems.Unauthenticated();
        }

        var query = context.Request.Query;
        var limit = DefaultLimit;
        if (query.TryGetValue("limit", out var limitText))
        {
            if (!int.TryParse(limitText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit)
            {
                return Problems.Invalid($"limit must be an integer from 1 to {MaxLimit}.", "limit", "range");
            }
        }

        string? after = null;
        if (query.TryGetValue("after", out var afterText))
        {
            after = afterText.ToString();
            if (!NornIdentity.IsWellFormed(after))
            {
                return Problems.Invalid("after must be a norn id (64 lowercase hex characters).", "after", "format");
            }
        }

        string? deviceId = null;
        if (query.TryGetValue("deviceId", out var deviceText))
        {
            if (!DeviceId.TryParse(deviceText.ToString(), out var parsed, out var reason))
            {
                return Problems.Invalid($"deviceId is not a device id: {reason}.", "deviceId", "deviceId");
            }

            deviceId = parsed.ToString();
        }

        var page = await service.ListAsync(owner, deviceId, after, limit, context.RequestAborted).ConfigureAwait(false);
        if (page.NextAfter is { } next)
        {
            context.Response.Headers.Append("Link", $"<{NextPageUrl(context, next, limit, deviceId)}>; rel=\"next\"");
        }

        return Results.Json(page.Items.ToList(), HostingJsonContext.Default.ListNornResponse);
    }

    public static async Task<IResult> GetAsync(
        HttpContext context, string id, NornService service, IOptionsMonitor<MimisbrunnrApiOptions> options)
    {
        if (Owner(context, options.CurrentValue) is not { } owner)
        {
            return Problems.Unauthenticated();
        }

        var norn = await service.GetAsync(owner, id, context.RequestAborted).ConfigureAwait(false);
        return norn is null ? Problems.NotFound(id) : Results.Json(norn, HostingJsonContext.Default.NornResponse);
    }

    public static async Task<IResult> UpdateAsync(
        HttpContext context, string id, NornService service, IOptionsMonitor<MimisbrunnrApiOptions> options)
    {
        var api = options.CurrentValue;
        if (Owner(context, api) is not { } owner)
        {
            return Problems.Unauthenticated();
        }

        var (request, error) = await ReadRequestAsync(context, api).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (await AuthorizeDeviceAsync(context, request!.DeviceId).ConfigureAwait(false) is { } denied)
        {
            return denied;
        }

        var caller = await CallerAsync(context, owner, api).ConfigureAwait(false);
        return await RunAsync(async () =>
        {
            var norn = await service.UpdateAsync(caller, id, request, context.RequestAborted).ConfigureAwait(false);
            return norn is null ? Problems.NotFound(id) : Results.Json(norn, HostingJsonContext.Default.NornResponse);
        }, api).ConfigureAwait(false);
    }

    public static async Task<IResult> DeleteAsync(
        HttpContext context, string id, NornService service, IOptionsMonitor<MimisbrunnrApiOptions> options)
    {
        if (Owner(context, options.CurrentValue) is not { } owner)
        {
            return Problems.Unauthenticated();
        }

        var deleted = await service.DeleteAsync(owner, id, context.RequestAborted).ConfigureAwait(false);
        return deleted ? Results.NoContent() : Problems.NotFound(id);
    }

    /// <summary>The owner named by the configured claim, then the name identifier, then the identity name.</summary>
    internal static string? Owner(HttpContext context, MimisbrunnrApiOptions options)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var owner = options.OwnerClaimType is { Length: > 0 } claimType
            ? user.FindFirst(claimType)?.Value
            : user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? user.Identity.Name;
        return string.IsNullOrWhiteSpace(owner) ? null : owner;
    }

    /// <summary>The owner and, unless partner ids are turned off, the partner ids of the caller (from the partner source).</summary>
    private static async ValueTask<NornCaller> CallerAsync(HttpContext context, string owner, MimisbrunnrApiOptions options)
    {
        if (options.DisablePartnerIds)
        {
            return new NornCaller(owner);
        }

        var source = context.RequestServices.GetService<INornPartnerSource>()
            ?? new ClaimsPartnerSource(context.RequestServices.GetRequiredService<IOptionsMonitor<MimisbrunnrApiOptions>>());
        return new NornCaller(owner, await source.GetPartnerIdsAsync(context).ConfigureAwait(false));
    }

    /// <summary>
    /// Runs the host's device policy (<see cref="MimisbrunnrAuthorization.DevicePolicy"/>), when it has one, for the
    /// requested device: <see langword="null"/> when allowed, a 403 problem otherwise. A device id that does not parse
    /// is left to validation, which names it.
    /// </summary>
    private static async ValueTask<IResult?> AuthorizeDeviceAsync(HttpContext context, string? requestedDeviceId)
    {
        if (!DeviceId.TryParse(requestedDeviceId, out var deviceId)
            || context.RequestServices.GetService<IAuthorizationPolicyProvider>() is not { } policies
            || await policies.GetPolicyAsync(MimisbrunnrAuthorization.DevicePolicy).ConfigureAwait(false) is not { } policy)
        {
            return null;
        }

        var authorization = context.RequestServices.GetRequiredService<IAuthorizationService>();
        var result = await authorization.AuthorizeAsync(context.User, deviceId.ToString(), policy).ConfigureAwait(false);
        return result.Succeeded
            ? null
            : Problems.Create(
                StatusCodes.Status403Forbidden,
                "Forbidden",
                $"This caller may not register norns for the device {deviceId}.",
                "deviceId",
                "forbidden");
    }

    private static async Task<(NornRequest? Request, IResult? Error)> ReadRequestAsync(HttpContext context, MimisbrunnrApiOptions options)
    {
        var mediaType = HttpBody.MediaType(context.Request);
        if (mediaType != "application/json" && !mediaType.EndsWith("+json", StringComparison.Ordinal))
        {
            return (null, Problems.UnsupportedMediaType(mediaType, "application/json"));
        }

        var body = await HttpBody.ReadAsync(context.Request, options.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            return (null, Problems.TooLarge(options.MaxBodyBytes));
        }

        try
        {
            var request = JsonSerializer.Deserialize(body, HostingJsonContext.Default.NornRequest);
            return request is null
                ? (null, Problems.Invalid("The body must be a JSON object, not null.", null, "json"))
                : (request, null);
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? null : ex.Path.TrimStart('$', '.');
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : string.Empty;
            return (null, Problems.Invalid($"The body is not valid JSON for a norn{where}: {FirstSentence(ex.Message)}", field, "json"));
        }
    }

    private static async Task<IResult> RunAsync(Func<Task<IResult>> action, MimisbrunnrApiOptions options)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (NornValidationException ex)
        {
            return Problems.Invalid(ex.Message, ex.Field, ex.Rule);
        }
        catch (NornConflictException ex)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "Conflict", ex.Message, "destination", "owner");
        }
        catch (NornQuotaExceededException ex)
        {
            return new QuotaResult(
                Problems.Create(StatusCodes.Status429TooManyRequests, "Quota reached", ex.Message, null, ex.Quota),
                options.QuotaRetryAfterSeconds);
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". Path:", StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }

    /// <summary>
    /// The norns collection as a path-absolute reference (resolved against the request URI, RFC 9110 §10.2.2 and
    /// RFC 8288 §3.1), never built from the request's Host header, which a caller or a proxy may have set to anything.
    /// </summary>
    private static string CollectionPath(HttpContext context) =>
        (context.Request.PathBase + context.Request.Path).ToUriComponent().TrimEnd('/');

    private static string NornLocation(HttpContext context, string id) => $"{CollectionPath(context)}/{id}";

    private static string NextPageUrl(HttpContext context, string after, int limit, string? deviceId)
    {
        var url = $"{CollectionPath(context)}?limit={limit}&after={Uri.EscapeDataString(after)}";
        return deviceId is null ? url : url + "&deviceId=" + Uri.EscapeDataString(deviceId);
    }

    /// <summary>A 429 problem with a Retry-After header.</summary>
    private sealed class QuotaResult(IResult inner, int retryAfterSeconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
