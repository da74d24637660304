using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// Answers 503 with <c>Retry-After</c> when the norn store fails a request for reasons of its own (unreachable, refusing
/// this host), so that callers retry instead of seeing a 500; the reason is logged, and the caller gets no detail
/// beyond "the store is unavailable".
/// </summary>
internal sealed partial class StoreFailureFilter(ILogger<StoreFailureFilter> logger) : IEndpointFilter
{
    /// <summary>The <c>Retry-After</c> sent when the store gives no hint of its own.</summary>
    internal static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(5);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (NornStoreException ex) when (!context.HttpContext.Response.HasStarted)
        {
            LogStoreFailed(logger, ex);
            var retryAfter = (ex as NornStoreUnavailableException)?.RetryAfter ?? DefaultRetryAfter;
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Problems.Create(
                StatusCodes.Status503ServiceUnavailable,
                "Store unavailable",
                $"The norn store is unavailable; try again in {seconds} seconds.");
        }
    }

    [LoggerMessage(EventIds.StoreFailed, LogLevel.Warning, "A norn request failed in the store; answered 503.")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);
}
