using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;

namespace Mimisbrunnr.Hosting;

/// <summary>Reads a request body up to a limit, without trusting Content-Length.</summary>
internal static class HttpBody
{
    /// <summary>
    /// Reads the whole body into a new array, or returns <see langword="null"/> when it is longer than
    /// <paramref name="maxBytes"/> (the caller answers 413).
    /// </summary>
    public static async ValueTask<byte[]?> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        PipeReader reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length > maxBytes)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                var bytes = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return bytes;
            }

            // Examine everything, consume nothing: the next read returns the whole body so far plus more.
            reader.AdvanceTo(buffer.Start, buffer.End);
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
