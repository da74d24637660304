using System.Net;
using System.Text;

namespace Mimisbrunnr.Client;

/// <summary>
/// The Mimisbrunnr API answered with an error status (or with a success that is not what the API promises). Carries
/// the status code and the server's problem details; when the answer was not <c>application/problem+json</c> the raw
/// body text is kept in <see cref="ResponseBody"/> and in the message, so the server's words are never lost.
/// </summary>
/// <remarks>
/// Specific cases have their own subclasses: <see cref="MimisbrunnrValidationException"/> (400),
/// <see cref="MimisbrunnrUnauthorizedException"/> (401), <see cref="MimisbrunnrNotFoundException"/> (404),
/// <see cref="MimisbrunnrConflictException"/> (409) and <see cref="MimisbrunnrRateLimitedException"/> (429). Transport
/// failures stay <see cref="HttpRequestException"/>; cancellation stays <see cref="OperationCanceledException"/>.
/// </remarks>
public class MimisbrunnrApiException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public MimisbrunnrApiException()
        : this("The Mimisbrunnr API answered with an error.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public MimisbrunnrApiException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MimisbrunnrApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an answer of the server.</summary>
    /// <param name="message">The message.</param>
    /// <param name="statusCode">The HTTP status code.</param>
    /// <param name="problem">The parsed problem details, if the body was one.</param>
    /// <param name="responseBody">The raw body text (possibly cut short), if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public MimisbrunnrApiException(string message, HttpStatusCode statusCode, MimisbrunnrProblem? problem, string? responseBody, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Problem = problem;
        ResponseBody = responseBody;
    }

    /// <summary>The HTTP status code of the answer.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The server's problem details, when the body was <c>application/problem+json</c> (or JSON of that shape).</summary>
    public MimisbrunnrProblem? Problem { get; }

    /// <summary>The raw body text (at most 16 KiB), whatever its type; <see langword="null"/> when empty.</summary>
    public string? ResponseBody { get; }

    /// <summary>The problem's title, for example <c>Invalid request</c>.</summary>
    public string? Title => Problem?.Title;

    /// <summary>The problem's detail: the server's explanation.</summary>
    public string? Detail => Problem?.Detail;

    /// <summary>The request field the server blames, for example <c>ttl</c>.</summary>
    public string? Field => Problem?.Field;

    /// <summary>The rule the server applied, for example <c>range</c>, or the quota reached.</summary>
    public string? Rule => Problem?.Rule;

    /// <summary>Builds the message: what was asked, the status, and the server's own words.</summary>
    internal static string Describe(HttpMethod method, Uri? uri, HttpStatusCode status, string? reason, MimisbrunnrProblem? problem, string? body)
    {
        var text = new StringBuilder()
            .Append(method.Method).Append(' ').Append(uri?.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped) ?? "?")
            .Append(" answered ").Append((int)status);
        if (!string.IsNullOrEmpty(reason))
        {
            text.Append(' ').Append(reason);
        }

        if (problem is not null && (problem.Title is not null || problem.Detail is not null))
        {
            text.Append(": ");
            if (problem.Title is not null)
            {
                text.Append(problem.Title);
                if (problem.Detail is not null)
                {
                    text.Append(" - ");
                }
            }

            text.Append(problem.Detail);
            if (problem.Field is not null || problem.Rule is not null)
            {
                text.Append(" (");
                if (problem.Field is not null)
                {
                    text.Append("field '").Append(problem.Field).Append('\'');
                }

                if (problem.Rule is not null)
                {
                    text.Append(problem.Field is null ? string.Empty : ", ").Append("rule '").Append(problem.Rule).Append('\'');
                }

                text.Append(')');
            }
        }
        else if (!string.IsNullOrWhiteSpace(body))
        {
            text.Append(": ").Append(body.Trim());
        }
        else
        {
            text.Append(" (empty body)");
        }

        return text.ToString();
    }
}

/// <summary>400 Bad Request: the request breaks a rule; <see cref="MimisbrunnrApiException.Field"/> and
/// <see cref="MimisbrunnrApiException.Rule"/> say which.</summary>
public sealed class MimisbrunnrValidationException : MimisbrunnrApiException
{
    /// <summary>Creates the exception with a default message.</summary>
    public MimisbrunnrValidationException()
        : base("The Mimisbrunnr API rejected the request as invalid.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public MimisbrunnrValidationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MimisbrunnrValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an answer of the server.</summary>
    /// <param name="message">The message.</param>
    /// <param name="problem">The problem details, if any.</param>
    /// <param name="responseBody">The raw body, if any.</param>
    public MimisbrunnrValidationException(string message, MimisbrunnrProblem? problem, string? responseBody)
        : base(message, HttpStatusCode.BadRequest, problem, responseBody)
    {
    }
}

/// <summary>401 Unauthorized: no credentials, or the server did not accept them.</summary>
public sealed class MimisbrunnrUnauthorizedException : MimisbrunnrApiException
{
    /// <summary>Creates the exception with a default message.</summary>
    public MimisbrunnrUnauthorizedException()
        : base("The Mimisbrunnr API did not accept the credentials.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public MimisbrunnrUnauthorizedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MimisbrunnrUnauthorizedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an answer of the server.</summary>
    /// <param name="message">The message.</param>
    /// <param name="problem">The problem details, if any.</param>
    /// <param name="responseBody">The raw body, if any.</param>
    public MimisbrunnrUnauthorizedException(string message, MimisbrunnrProblem? problem, string? responseBody)
        : base(message, HttpStatusCode.Unauthorized, problem, responseBody)
    {
    }
}

/// <summary>
/// 404 Not Found: no such norn for this caller (a norn of another owner looks the same). Thrown by
/// <see cref="INornClient.UpdateAsync"/>; <see cref="INornClient.GetAsync"/> answers <see langword="null"/> and
/// <see cref="INornClient.DeleteAsync"/> <see langword="false"/> instead.
/// </summary>
public sealed class MimisbrunnrNotFoundException : MimisbrunnrApiException
{
    /// <summary>Creates the exception with a default message.</summary>
    public MimisbrunnrNotFoundException()
        : base("The Mimisbrunnr API has no such norn for this caller.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public MimisbrunnrNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MimisbrunnrNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an answer of the server.</summary>
    /// <param name="message">The message.</param>
    /// <param name="problem">The problem details, if any.</param>
    /// <param name="responseBody">The raw body, if any.</param>
    public MimisbrunnrNotFoundException(string message, MimisbrunnrProblem? problem, string? responseBody)
        : base(message, HttpStatusCode.NotFound, problem, responseBody)
    {
    }
}

/// <summary>409 Conflict: another owner already holds a norn for this device and destination.</summary>
public sealed class MimisbrunnrConflictException : MimisbrunnrApiException
{
    /// <summary>Creates the exception with a default message.</summary>
    public MimisbrunnrConflictException()
        : base("Another owner holds a norn for this device and destination.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public MimisbrunnrConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MimisbrunnrConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an answer of the server.</summary>
    /// <param name="message">The message.</param>
    /// <param name="problem">The problem details, if any.</param>
    /// <param name="responseBody">The raw body, if any.</param>
    public MimisbrunnrConflictException(string message, MimisbrunnrProblem? problem, string? responseBody)
        : base(message, HttpStatusCode.Conflict, problem, responseBody)
    {
    }
}

/// <summary>
/// 429 Too Many Requests: a quota is reached (<see cref="MimisbrunnrApiException.Rule"/> names it, for example
/// <c>perDevice</c>) or the server is overloaded. <see cref="RetryAfter"/> says when to try again.
/// </summary>
public sealed class MimisbrunnrRateLimitedException : MimisbrunnrApiException
{
    /// <summary>Creates the exception with a default message.</summary>
    public MimisbrunnrRateLimitedException()
        : base("The Mimisbrunnr API refused the request: a quota is reached or the server is busy.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public MimisbrunnrRateLimitedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MimisbrunnrRateLimitedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an answer of the server.</summary>
    /// <param name="message">The message.</param>
    /// <param name="problem">The problem details, if any.</param>
    /// <param name="responseBody">The raw body, if any.</param>
    /// <param name="retryAfter">The server's <c>Retry-After</c>, if any.</param>
    public MimisbrunnrRateLimitedException(string message, MimisbrunnrProblem? problem, string? responseBody, TimeSpan? retryAfter)
        : base(message, HttpStatusCode.TooManyRequests, problem, responseBody)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>How long the server asks to wait (its <c>Retry-After</c>, seconds or a date); <see langword="null"/> when it did not say.</summary>
    public TimeSpan? RetryAfter { get; }
}
