namespace Mimisbrunnr.Testing.Http;

/// <summary>One request a <see cref="SinkServer"/> received, recorded when it arrived (before any scripted delay).</summary>
public sealed class RecordedRequest
{
    internal RecordedRequest(int index, string method, string path, string query, IReadOnlyDictionary<string, string> headers, byte[] body, DateTimeOffset receivedAt)
    {
        Index = index;
        Method = method;
        Path = path;
        Query = query;
        Headers = headers;
        Body = body;
        ReceivedAt = receivedAt;
    }

    /// <summary>The arrival order on the server, from 0.</summary>
    public int Index { get; }

    /// <summary>The HTTP method.</summary>
    public string Method { get; }

    /// <summary>The path, for example <c>/hook</c>.</summary>
    public string Path { get; }

    /// <summary>The query string including its <c>?</c>, or empty.</summary>
    public string Query { get; }

    /// <summary>The headers, case-insensitive; repeated headers are joined with <c>", "</c>.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The exact body bytes.</summary>
#pragma warning disable CA1819 // Tests compare the exact bytes.
    public byte[] Body { get; }
#pragma warning restore CA1819

    /// <summary>When it arrived (the real clock).</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>A header value, or <see langword="null"/>.</summary>
    /// <param name="name">The header name, any case.</param>
    /// <returns>The value.</returns>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <inheritdoc />
    public override string ToString() => $"#{Index} {Method} {Path}{Query} ({Body.Length} bytes)";
}
