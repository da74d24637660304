namespace Mimisbrunnr.Testing.Http;

/// <summary>What a <see cref="SinkServer"/> answers to one request.</summary>
public sealed class SinkResponse
{
    /// <summary>200 with an empty body, at once.</summary>
    public static SinkResponse Ok { get; } = new();

    /// <summary>The status code (default 200).</summary>
    public int Status { get; init; } = 200;

    /// <summary>A raw <c>Retry-After</c> value (seconds or an HTTP date), if any.</summary>
    public string? RetryAfter { get; init; }

    /// <summary>How long to wait before answering (the request is recorded at once).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>A task to wait for before answering: a slow or stuck consumer that the test releases.</summary>
    public Task? Gate { get; init; }

    /// <summary>The response body, if any.</summary>
    public ReadOnlyMemory<byte>? Body { get; init; }

    /// <summary>The content type of <see cref="Body"/> (default <c>application/json</c>).</summary>
    public string ContentType { get; init; } = "application/json";

    /// <summary>200 with a JSON body.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="status">The status code.</param>
    /// <returns>The response.</returns>
    public static SinkResponse Json(string json, int status = 200) =>
        new() { Status = status, Body = System.Text.Encoding.UTF8.GetBytes(json) };

    /// <summary>An answer with a status.</summary>
    /// <param name="status">The status code.</param>
    /// <param name="retryAfter">An optional raw <c>Retry-After</c> value.</param>
    /// <returns>The response.</returns>
    public static SinkResponse WithStatus(int status, string? retryAfter = null) => new() { Status = status, RetryAfter = retryAfter };

    /// <summary>An answer held until <paramref name="gate"/> completes (or the server stops).</summary>
    /// <param name="gate">The task to wait for.</param>
    /// <param name="status">The status code once released.</param>
    /// <returns>The response.</returns>
    public static SinkResponse HeldUntil(Task gate, int status = 200) => new() { Gate = gate, Status = status };
}
