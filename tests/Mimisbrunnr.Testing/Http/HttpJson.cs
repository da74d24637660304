using System.Text.Json;

namespace Mimisbrunnr.Testing.Http;

/// <summary>Reads JSON answers of the API under test.</summary>
public static class HttpJson
{
    /// <summary>The body as a JSON element (<c>{}</c> for an empty body).</summary>
    /// <param name="response">The response.</param>
    /// <returns>The root element, detached from its document.</returns>
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(string.IsNullOrEmpty(text) ? "{}" : text);
        return document.RootElement.Clone();
    }
}
