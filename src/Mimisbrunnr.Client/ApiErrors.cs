using System.Net;
using System.Text;
using System.Text.Json;

namespace Mimisbrunnr.Client;

/// <summary>Turns an error answer into the matching <see cref="MimisbrunnrApiException"/>.</summary>
internal static class ApiErrors
{
    /// <summary>The most body text kept on an exception.</summary>
    internal const int MaxBodyChars = 16 * 1024;

    public static async Task<MimisbrunnrApiException> FromResponseAsync(HttpResponseMessage response, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var body = await ReadTextAsync(response, cancellationToken).ConfigureAwait(false);
        var problem = IsProblem(response) || LooksLikeJsonObject(body) ? ParseProblem(body) : null;
        var request = response.RequestMessage;
        var message = MimisbrunnrApiException.Describe(
            request?.Method ?? HttpMethod.Get, request?.RequestUri, response.StatusCode, response.ReasonPhrase, problem, body);
        return response.StatusCode switch
        {
            HttpStatusCode.BadRequest => new MimisbrunnrValidationException(message, problem, body),
            HttpStatusCode.Unauthorized => new MimisbrunnrUnauthorizedException(message, problem, body),
            HttpStatusCode.NotFound => new MimisbrunnrNotFoundException(message, problem, body),
            HttpStatusCode.Conflict => new MimisbrunnrConflictException(message, problem, body),
            HttpStatusCode.TooManyRequests => new MimisbrunnrRateLimitedException(message, problem, body, RetryAfter(response, timeProvider)),
            _ => new MimisbrunnrApiException(message, response.StatusCode, problem, body),
        };
    }

    /// <summary>A success answer whose body is not what the API promises (a proxy's page, another service).</summary>
    public static MimisbrunnrApiException Unexpected(HttpResponseMessage response, string what, string? body, Exception? innerException = null)
    {
        var request = response.RequestMessage;
        var message = MimisbrunnrApiException.Describe(
            request?.Method ?? HttpMethod.Get, request?.RequestUri, response.StatusCode, response.ReasonPhrase, null, null)
            + " but " + what + (string.IsNullOrWhiteSpace(body) ? "." : ": " + Truncate(body.Trim(), 512));
        return new MimisbrunnrApiException(message, response.StatusCode, null, body, innerException);
    }

    /// <summary>Whether the answer is <c>application/problem+json</c>.</summary>
    public static bool IsProblem(HttpResponseMessage response) =>
        string.Equals(response.Content.Headers.ContentType?.MediaType, "application/problem+json", StringComparison.OrdinalIgnoreCase);

    private static async Task<string?> ReadTextAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var charset = response.Content.Headers.ContentType?.CharSet;
            Encoding encoding;
            try
            {
                encoding = string.IsNullOrEmpty(charset) ? Encoding.UTF8 : Encoding.GetEncoding(charset.Trim('"'));
            }
            catch (ArgumentException)
            {
                encoding = Encoding.UTF8;
            }

            using var reader = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: true);
            var buffer = new char[MaxBodyChars];
            var length = 0;
            while (length < buffer.Length)
            {
                var read = await reader.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            return length == 0 ? null : new string(buffer, 0, length);
        }
    }

    private static bool LooksLikeJsonObject(string? body) => body is not null && body.TrimStart().StartsWith('{');

    private static MimisbrunnrProblem? ParseProblem(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            var document = JsonSerializer.Deserialize(body, ClientJsonContext.Default.ProblemDocument);
            if (document is null || (document.Title is null && document.Detail is null && document.Type is null))
            {
                return null; // JSON, but not a problem: keep the raw text in the message
            }

            return new MimisbrunnrProblem
            {
                Type = document.Type,
                Title = document.Title,
                Status = document.Status,
                Detail = document.Detail,
                Instance = document.Instance,
                Field = document.Field,
                Rule = document.Rule,
                Extensions = document.Extensions is { } extensions
                    ? new Dictionary<string, JsonElement>(extensions, StringComparer.Ordinal)
                    : new Dictionary<string, JsonElement>(StringComparer.Ordinal),
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider timeProvider)
    {
        if (response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        if (retryAfter.Delta is { } delta)
        {
            return delta;
        }

        if (retryAfter.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");
}
