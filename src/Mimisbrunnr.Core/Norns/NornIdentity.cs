using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Norns;

/// <summary>
/// Derives norn ids, so that one device and one destination can only ever make one norn: whatever routes together
/// (device ids that compare equal, URLs that reach the same resource) has one id.
/// </summary>
public static class NornIdentity
{
    /// <summary>
    /// The norn id: lowercase hex SHA-256 (UTF-8) of <c>DeviceKey(deviceId) + "\n" + destinationKey</c>, where the
    /// destination key is the normalised URL (<see cref="NormalizeUrl"/>) of the HTTP destination or SQS queue.
    /// </summary>
    /// <param name="deviceId">A canonical device id, for example <c>uuid:ABC</c> (its case does not matter).</param>
    /// <param name="destinationKey">The normalised HTTP URL or SQS queue URL.</param>
    /// <returns>64 lowercase hex characters.</returns>
    public static string Derive(string deviceId, string destinationKey)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        ArgumentNullException.ThrowIfNull(destinationKey);
        var text = string.Concat(DeviceKey(deviceId), "\n", destinationKey);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// The key under which a device's norns are one identity, counted and listed: the canonical device id lower-cased
    /// (MAC ids are lower case already; other authorities compare ignoring case, as Svalinn lower-cases whole ids).
    /// </summary>
    /// <param name="deviceId">A canonical device id.</param>
    /// <returns>The key, for example <c>uuid:abc</c>.</returns>
    public static string DeviceKey(string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        return deviceId.ToLowerInvariant();
    }

    /// <summary>
    /// The form in which a destination URL is stored and identified: scheme and host lower-cased, an internationalised
    /// host in punycode, the scheme's default port removed, an empty path made <c>/</c>; the path and query are kept
    /// exactly as written, and a fragment (never sent) is dropped.
    /// </summary>
    /// <param name="url">An absolute http or https URL without user info.</param>
    /// <returns>The normalised URL, for example <c>http://h/hook</c> for <c>HTTP://H:80/hook</c>.</returns>
    /// <exception cref="ArgumentException">The text is not an absolute URL with a host.</exception>
    public static string NormalizeUrl(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"'{url}' is not an absolute URL.", nameof(url));
        }

        // The path and query as written: what follows the authority in the original text.
        var text = url.Trim();
        var authorityStart = text.IndexOf("//", StringComparison.Ordinal);
        var rest = string.Empty;
        if (authorityStart >= 0)
        {
            var restStart = text.IndexOfAny(['/', '?', '#'], authorityStart + 2);
            rest = restStart < 0 ? string.Empty : text[restStart..];
        }

        var fragment = rest.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            rest = rest[..fragment];
        }

        if (rest.Length == 0 || rest[0] == '?')
        {
            rest = "/" + rest;
        }

        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.ToLowerInvariant() : uri.IdnHost.ToLowerInvariant();
        var port = uri.IsDefaultPort ? string.Empty : ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
        return string.Concat(uri.Scheme.ToLowerInvariant(), "://", host, port, rest);
    }

    /// <summary>
    /// A stored norn brought to the current identity rules: destination URLs normalised and the id derived again. For
    /// stores migrating rows written under older rules; a norn written by this version comes back unchanged.
    /// </summary>
    /// <param name="norn">The stored norn.</param>
    /// <returns>The norn with normalised URLs and its current id (the device id keeps its registered spelling).</returns>
    public static Norn Normalize(Norn norn)
    {
        ArgumentNullException.ThrowIfNull(norn);
        var destination = norn.Destination;
        if (destination.Http is { } http)
        {
            destination = destination with
            {
                Http = http with
                {
                    Url = TryNormalize(http.Url),
                    FailureUrl = http.FailureUrl is null ? null : TryNormalize(http.FailureUrl),
                },
            };
        }
        else if (destination.Sqs is { } sqs)
        {
            destination = destination with
            {
                Sqs = sqs with
                {
                    QueueUrl = TryNormalize(sqs.QueueUrl),
                    FailureUrl = sqs.FailureUrl is null ? null : TryNormalize(sqs.FailureUrl),
                },
            };
        }

        var deviceId = DeviceId.TryParse(norn.DeviceId, out var parsed) ? parsed.ToString() : norn.DeviceId;
        var id = Derive(deviceId, destination.Key);
        return id == norn.Id && destination == norn.Destination ? norn : norn with { Id = id, Destination = destination };

        static string TryNormalize(string url) => Uri.TryCreate(url, UriKind.Absolute, out _) ? NormalizeUrl(url) : url;
    }

    /// <summary>Whether <paramref name="id"/> has the shape of a derived id (64 lowercase hex characters).</summary>
    /// <param name="id">The candidate.</param>
    /// <returns>Whether it could be a norn id.</returns>
    public static bool IsWellFormed(string? id)
    {
        if (id is null || id.Length != 64)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
