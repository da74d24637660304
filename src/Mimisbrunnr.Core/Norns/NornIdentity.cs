using System.Security.Cryptography;
using System.Text;

namespace Mimisbrunnr.Norns;

/// <summary>Derives norn ids, so that one device and one destination can only ever make one norn.</summary>
public static class NornIdentity
{
    /// <summary>
    /// The norn id: lowercase hex SHA-256 of <c>canonicalDeviceId + "\n" + destinationKey</c> (UTF-8).
    /// </summary>
    /// <param name="canonicalDeviceId">The canonical device id, for example <c>mac:112233445566</c>.</param>
    /// <param name="destinationKey">The HTTP URL or the SQS queue URL.</param>
    /// <returns>64 lowercase hex characters.</returns>
    public static string Derive(string canonicalDeviceId, string destinationKey)
    {
        ArgumentNullException.ThrowIfNull(canonicalDeviceId);
        ArgumentNullException.ThrowIfNull(destinationKey);
        var text = string.Concat(canonicalDeviceId, "\n", destinationKey);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash);
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
