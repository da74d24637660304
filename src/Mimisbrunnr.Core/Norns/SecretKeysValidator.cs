using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Norns;

/// <summary>Refuses to start with a <see cref="MimisbrunnrOptions.SecretKeys"/> entry that is not a 256-bit key, or a repeated one.</summary>
internal sealed class SecretKeysValidator : IValidateOptions<MimisbrunnrOptions>
{
    public ValidateOptionsResult Validate(string? name, MimisbrunnrOptions options)
    {
        var failures = new List<string>();
        var keyIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.SecretKeys.Count; i++)
        {
            if (!NornSecretProtector.TryDecodeKey(options.SecretKeys[i], out var key))
            {
                failures.Add($"Mimisbrunnr:SecretKeys:{i} must be the base64 of exactly 32 bytes (openssl rand -base64 32).");
            }
            else if (!keyIds.Add(NornSecretProtector.KeyId(key)))
            {
                failures.Add($"Mimisbrunnr:SecretKeys:{i} repeats an earlier key.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
