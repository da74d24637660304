using System.Text.Json;

namespace Mimisbrunnr.Client;

/// <summary>
/// The RFC 7807 problem details a Mimisbrunnr server answers an error with, including its <c>field</c> and
/// <c>rule</c> extensions (for example field <c>ttl</c>, rule <c>range</c>).
/// </summary>
public sealed class MimisbrunnrProblem
{
    /// <summary>The problem type URI, if any.</summary>
    public string? Type { get; init; }

    /// <summary>The short summary, for example <c>Invalid request</c>.</summary>
    public string? Title { get; init; }

    /// <summary>The HTTP status the problem states.</summary>
    public int? Status { get; init; }

    /// <summary>The server's explanation, for example <c>ttl 90000 exceeds the maximum of 86400 seconds.</c>.</summary>
    public string? Detail { get; init; }

    /// <summary>The problem instance URI, if any.</summary>
    public string? Instance { get; init; }

    /// <summary>The request field at fault (camelCase path such as <c>destination.http.url</c>), if the server named one.</summary>
    public string? Field { get; init; }

    /// <summary>The rule the field breaks (<c>required</c>, <c>range</c>, <c>format</c>, …) or the quota reached.</summary>
    public string? Rule { get; init; }

    /// <summary>Any other members of the problem document (for example <c>traceId</c>).</summary>
    public IReadOnlyDictionary<string, JsonElement> Extensions { get; init; } = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
}
