namespace Mimisbrunnr.Norns;

/// <summary>How a secret appears in text meant for people (ToString, logs): whether it is set, never what it is.</summary>
internal static class SecretText
{
    public static string Mask(string? secret) => string.IsNullOrEmpty(secret) ? string.Empty : "***";
}
