using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Mimisbrunnr.Hosting;

/// <summary>Reads a request body up to a limit, without trusting Content-Length.</summary>
internal static class HttpBody
{
    /// <summary>
    /// Reads the whole body into a new array, or returns <see langword="null"/> as soon as it is known to be longer than
    /// <paramref name="maxBytes"/> (the caller answers 413): at once when Content-Length says so, otherwise when the
    /// bytes read pass the limit, without reading the rest.
    /// </summary>
    public static async ValueTask<byte[]?> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        // The server's own cap (Kestrel: 30 MB by default) must not be below ours, or a body we accept would fail there.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit
            && limit.MaxRequestBodySize < maxBytes)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        // Consume as we go: the server buffers only so much of a body it has not been told was consumed (Kestrel: 1 MiB),
        // so reading without consuming would wait forever on a larger body.
        var reader = request.BodyReader;
        ArrayBufferWriter<byte>? body = null;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if ((body?.WrittenCount ?? 0) + buffer.Length > maxBytes)
            {
                reader.AdvanceTo(buffer.End);
                return null;
            }

            if (body is null && (result.IsCompleted || result.IsCanceled))
            {
                // The usual event: the whole body in the first read; one copy.
                var whole = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return whole;
            }

            body ??= new ArrayBufferWriter<byte>(request.ContentLength is > 0 and var length ? (int)Math.Min(length, maxBytes) : 16 * 1024);
            foreach (var segment in buffer)
            {
                body.Write(segment.Span);
            }

            reader.AdvanceTo(buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return body.WrittenSpan.ToArray();
            }
        }
    }

    /// <summary>The media type of the request, lower-case, without parameters; empty when absent.</summary>
    public static string MediaType(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return string.Empty;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = semicolon < 0 ? contentType : contentType[..semicolon];
        return mediaType.Trim().ToLowerInvariant();
    }
}
