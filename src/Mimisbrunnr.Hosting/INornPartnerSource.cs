using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Mimisbrunnr.Hosting;

/// <summary>
/// Where a caller's partner ids (its tenants, as XMiDT names them) come from when it registers a norn: the norn keeps
/// them and receives only events whose <c>partner_ids</c> share one. The default reads the claim named by
/// <see cref="MimisbrunnrApiOptions.PartnerIdsClaim"/>; register your own implementation (for example, a lookup in
/// your tenant directory) to replace it.
/// </summary>
public interface INornPartnerSource
{
    /// <summary>The partner ids of the caller of this request.</summary>
    /// <param name="context">The request, with its authenticated user.</param>
    /// <returns>The partner ids (<c>*</c> for every partner); empty when the caller has none.</returns>
    ValueTask<IReadOnlyList<string>> GetPartnerIdsAsync(HttpContext context);
}

/// <summary>
/// Reads partner ids from the principal's claims: a claim whose type is the configured path (repeated, or holding a
/// JSON array), or a JSON claim named by the path's first segments with the rest of the path inside it.
/// </summary>
internal sealed class ClaimsPartnerSource(Microsoft.Extensions.Options.IOptionsMonitor<MimisbrunnrApiOptions> options) : INornPartnerSource
{
    public ValueTask<IReadOnlyList<string>> GetPartnerIdsAsync(HttpContext context) =>
        ValueTask.FromResult(Read(context.User, options.CurrentValue.PartnerIdsClaim));

    /// <summary>The partner ids at <paramref name="path"/> in the principal's claims, distinct, in order.</summary>
    internal static IReadOnlyList<string> Read(ClaimsPrincipal user, string path)
    {
        var found = new List<string>();
        foreach (var claim in user.FindAll(path))
        {
            AddValues(claim.Value, found);
        }

        // allowedResources.allowedPartners: the claim "allowedResources" holds a JSON object; walk the rest of the path.
        var segments = path.Split('.');
        for (var split = segments.Length - 1; split >= 1 && found.Count == 0; split--)
        {
            var claimType = string.Join('.', segments[..split]);
            foreach (var claim in user.FindAll(claimType))
            {
                AddAt(claim.Value, segments[split..], found);
            }
        }

        return found.Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>A claim value: one id, or a JSON array of ids.</summary>
    private static void AddValues(string value, List<string> found)
    {
        var text = value.Trim();
        if (text.StartsWith('['))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                AddElement(document.RootElement, found);
                return;
            }
            catch (JsonException)
            {
                // Not JSON after all: an id that starts with '['.
            }
        }

        if (text.Length > 0)
        {
            found.Add(text);
        }
    }

    private static void AddAt(string json, string[] path, List<string> found)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var element = document.RootElement;
            foreach (var segment in path)
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(segment, out element))
                {
                    return;
                }
            }

            AddElement(element, found);
        }
        catch (JsonException)
        {
            // A claim of that name that is not JSON holds no path.
        }
    }

    private static void AddElement(JsonElement element, List<string> found)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String when element.GetString() is { Length: > 0 } id:
                found.Add(id);
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && item.GetString() is { Length: > 0 } each)
                    {
                        found.Add(each);
                    }
                }

                break;
        }
    }
}
