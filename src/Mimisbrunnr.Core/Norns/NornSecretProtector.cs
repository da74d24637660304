using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Diagnostics;

namespace Mimisbrunnr.Norns;

/// <summary>
/// Protects the secrets of norns (HMAC secrets, AWS secret keys and session tokens) wherever norns are kept: the
/// store, the change feed, the in-memory index. A secret is protected once, when the norn is written, and revealed
/// only at the moment it signs a request.
/// </summary>
public interface INornSecretProtector
{
    /// <summary>Turns a secret into its stored form.</summary>
    /// <param name="secret">The secret as the consumer gave it.</param>
    /// <param name="purpose">What the secret is for (norn id and field): a stored value only reveals for its own purpose.</param>
    /// <returns>The stored form.</returns>
    string Protect(string secret, string purpose);

    /// <summary>Reveals a stored secret.</summary>
    /// <param name="stored">The stored form.</param>
    /// <param name="purpose">The purpose it was protected for.</param>
    /// <param name="secret">The secret, when this returns <see langword="true"/>.</param>
    /// <returns>
    /// <see langword="false"/> when the stored form cannot be revealed here (a key that is not configured, a value
    /// altered in the store, another purpose): the caller must then not use the norn's secret at all.
    /// </returns>
    bool TryUnprotect(string stored, string purpose, [NotNullWhen(true)] out string? secret);
}

/// <summary>
/// The default <see cref="INornSecretProtector"/>: AES-256-GCM under the keys of
/// <see cref="MimisbrunnrOptions.SecretKeys"/>, the purpose as associated data. The first key protects; every key
/// reveals, so a key can be rotated by putting the new one first and keeping the old one until every norn has been
/// rewritten or has expired (at most <see cref="MimisbrunnrOptions.MaxTtl"/>).
/// </summary>
/// <remarks>
/// <para>
/// Stored form: <c>mimi:v1:&lt;key id&gt;:&lt;base64url(nonce ‖ ciphertext ‖ tag)&gt;</c>, the key id being the first 8
/// hex digits of the key's SHA-256. A value without that prefix is a secret stored before keys were configured and is
/// used as it is.
/// </para>
/// <para>
/// Without keys, secrets are kept as given (and a warning says so once): fine for the in-memory store, not for a
/// store on disk or a database shared by several hosts, which must all be given the same keys.
/// </para>
/// </remarks>
internal sealed partial class NornSecretProtector : INornSecretProtector
{
    /// <summary>The prefix of a protected value.</summary>
    public const string Prefix = "mimi:v1:";

    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int KeyIdLength = 8;

    // Sealed values and purposes up to this many bytes are handled on the stack.
    private const int StackBytes = 256;

    // The cipher of the key last used on this thread: an AesGcm costs a native context and key schedule to create,
    // more than revealing a short secret, and one instance must not be used by two threads at once.
    [ThreadStatic]
    private static CachedCipher? _cipher;

    private readonly ILogger _logger;
    private volatile KeyRing _keys;
    private int _warned;

    /// <summary>Creates the protector; the keys follow the options when they are reloaded.</summary>
    /// <param name="options">The engine options (<see cref="MimisbrunnrOptions.SecretKeys"/>).</param>
    /// <param name="logger">The logger.</param>
    public NornSecretProtector(IOptionsMonitor<MimisbrunnrOptions> options, ILogger<NornSecretProtector>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _keys = KeyRing.From(options.CurrentValue.SecretKeys);
        options.OnChange(changed => _keys = KeyRing.From(changed.SecretKeys));
    }

    /// <summary>
    /// Keeps secrets as given and reveals only those: what components constructed without a protector use. A
    /// protected value is not revealed by it.
    /// </summary>
    public static INornSecretProtector None { get; } = new PassThrough();

    /// <summary>Whether secrets are encrypted (at least one key is configured).</summary>
    public bool IsEnabled => _keys.Primary is not null;

    /// <inheritdoc />
    public string Protect(string secret, string purpose)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(purpose);
        var keys = _keys;
        if (keys.Primary is not { } key)
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0)
            {
                Log.Unprotected(_logger);
            }

            return secret;
        }

        var plaintext = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key.Bytes, TagSize))
        {
            aes.Encrypt(
                nonce,
                plaintext,
                sealedBytes.AsSpan(NonceSize, plaintext.Length),
                sealedBytes.AsSpan(NonceSize + plaintext.Length),
                Encoding.UTF8.GetBytes(purpose));
        }

        CryptographicOperations.ZeroMemory(plaintext);
        return string.Concat(Prefix, key.Id, ":", Base64Url.EncodeToString(sealedBytes));
    }

    /// <inheritdoc />
    public bool TryUnprotect(string stored, string purpose, [NotNullWhen(true)] out string? secret)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(purpose);
        secret = null;
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            secret = stored;
            return true;
        }

        var rest = stored.AsSpan(Prefix.Length);
        var colon = rest.IndexOf(':');
        if (colon != KeyIdLength || !_keys.TryFind(rest[..colon], out var key))
        {
            return false;
        }

        // Stack buffers for the sealed bytes, the plaintext and the purpose (secrets are short); pooled arrays beyond.
        var encoded = rest[(colon + 1)..];
        var maxSealed = Base64Url.GetMaxDecodedLength(encoded.Length);
        var maxPurpose = Encoding.UTF8.GetMaxByteCount(purpose.Length);
        byte[]? rentedSealed = null;
        byte[]? rentedPurpose = null;
        var sealedBuffer = maxSealed <= StackBytes ? stackalloc byte[StackBytes] : (rentedSealed = ArrayPool<byte>.Shared.Rent(maxSealed));
        var purposeBuffer = maxPurpose <= StackBytes ? stackalloc byte[StackBytes] : (rentedPurpose = ArrayPool<byte>.Shared.Rent(maxPurpose));
        try
        {
            if (Base64Url.DecodeFromChars(encoded, sealedBuffer, out _, out var sealedLength) != OperationStatus.Done
                || sealedLength < NonceSize + TagSize)
            {
                return false;
            }

            var sealedBytes = sealedBuffer[..sealedLength];
            var length = sealedLength - NonceSize - TagSize;
            var plaintext = sealedBuffer.Length >= sealedLength + length ? sealedBuffer.Slice(sealedLength, length) : new byte[length];
            var associated = purposeBuffer[..Encoding.UTF8.GetBytes(purpose, purposeBuffer)];
            try
            {
                CipherFor(key).Decrypt(
                    sealedBytes[..NonceSize],
                    sealedBytes.Slice(NonceSize, length),
                    sealedBytes[(NonceSize + length)..],
                    plaintext,
                    associated);
            }
            catch (AuthenticationTagMismatchException)
            {
                return false;
            }

            secret = Encoding.UTF8.GetString(plaintext);
            CryptographicOperations.ZeroMemory(plaintext);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sealedBuffer);
            if (rentedSealed is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedSealed);
            }

            if (rentedPurpose is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedPurpose);
            }
        }
    }

    /// <summary>Decodes a configured key: base64 of exactly 32 bytes.</summary>
    /// <param name="text">The configured text.</param>
    /// <param name="key">The key bytes.</param>
    /// <returns>Whether <paramref name="text"/> is such a key.</returns>
    internal static bool TryDecodeKey(string? text, [NotNullWhen(true)] out byte[]? key)
    {
        key = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var buffer = new byte[KeySize + 3];
        if (!Convert.TryFromBase64String(text.Trim(), buffer, out var written) || written != KeySize)
        {
            return false;
        }

        key = buffer[..KeySize];
        return true;
    }

    /// <summary>The key id of a key: the first 8 hex digits of its SHA-256.</summary>
    internal static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..KeyIdLength];

    /// <summary>The AES-GCM cipher of <paramref name="key"/>, reused on this thread while the key stays the same.</summary>
    private static AesGcm CipherFor(Key key)
    {
        var cached = _cipher;
        if (cached is not null && ReferenceEquals(cached.Key, key))
        {
            return cached.Cipher;
        }

        cached?.Cipher.Dispose();
        var cipher = new AesGcm(key.Bytes, TagSize);
        _cipher = new CachedCipher(key, cipher);
        return cipher;
    }

    private sealed record Key(string Id, byte[] Bytes);

    private sealed record CachedCipher(Key Key, AesGcm Cipher);

    internal sealed class PassThrough : INornSecretProtector
    {
        public string Protect(string secret, string purpose) => secret;

        public bool TryUnprotect(string stored, string purpose, [NotNullWhen(true)] out string? secret)
        {
            ArgumentNullException.ThrowIfNull(stored);
            secret = stored.StartsWith(Prefix, StringComparison.Ordinal) ? null : stored;
            return secret is not null;
        }
    }

    private sealed class KeyRing
    {
        private readonly Key[] _keys;

        private KeyRing(Key[] keys) => _keys = keys;

        public Key? Primary => _keys.Length == 0 ? null : _keys[0];

        public static KeyRing From(IList<string>? configured)
        {
            var keys = new List<Key>();
            foreach (var text in configured ?? [])
            {
                // Options validation refuses bad keys at start; a bad key in a reload is left out.
                if (TryDecodeKey(text, out var bytes))
                {
                    keys.Add(new Key(KeyId(bytes), bytes));
                }
            }

            return new KeyRing([.. keys]);
        }

        public bool TryFind(ReadOnlySpan<char> id, [NotNullWhen(true)] out Key? key)
        {
            foreach (var candidate in _keys)
            {
                if (id.SequenceEqual(candidate.Id))
                {
                    key = candidate;
                    return true;
                }
            }

            key = null;
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.SecretsStoredUnprotected, LogLevel.Warning,
            "Norn secrets are kept as given, unencrypted: configure Mimisbrunnr:SecretKeys (base64 of 32 random bytes) to encrypt them in the store.")]
        public static partial void Unprotected(ILogger logger);
    }
}

/// <summary>The secret fields of a norn and their protection.</summary>
public static class NornSecrets
{
    /// <summary>The field of an HTTP destination's HMAC secret.</summary>
    public const string HttpSecret = "destination.http.secret";

    /// <summary>The field of an SQS destination's secret access key.</summary>
    public const string SqsSecretAccessKey = "destination.sqs.secretAccessKey";

    /// <summary>The field of an SQS destination's session token.</summary>
    public const string SqsSessionToken = "destination.sqs.sessionToken";

    /// <summary>The field of an SQS destination's notice signing secret.</summary>
    public const string SqsSecret = "destination.sqs.secret";

    /// <summary>The norn with each of its secrets in stored form.</summary>
    /// <param name="norn">The norn, with secrets as the consumer gave them.</param>
    /// <param name="protector">The protector.</param>
    /// <returns>A copy of the norn whose secrets are protected (the same norn when it has none).</returns>
    internal static Norn Protect(Norn norn, INornSecretProtector protector)
    {
        ArgumentNullException.ThrowIfNull(norn);
        ArgumentNullException.ThrowIfNull(protector);
        var destination = norn.Destination;
        if (destination.Http is { Secret: { } secret } http)
        {
            return norn with { Destination = destination with { Http = http with { Secret = protector.Protect(secret, Purpose(norn.Id, HttpSecret)) } } };
        }

        if (destination.Sqs is { } sqs && (sqs.SecretAccessKey is not null || sqs.SessionToken is not null || sqs.Secret is not null))
        {
            return norn with
            {
                Destination = destination with
                {
                    Sqs = sqs with
                    {
                        SecretAccessKey = ProtectOptional(protector, sqs.SecretAccessKey, norn.Id, SqsSecretAccessKey),
                        SessionToken = ProtectOptional(protector, sqs.SessionToken, norn.Id, SqsSessionToken),
                        Secret = ProtectOptional(protector, sqs.Secret, norn.Id, SqsSecret),
                    },
                },
            };
        }

        return norn;
    }

    /// <summary>Reveals one secret of a norn.</summary>
    /// <param name="protector">The protector.</param>
    /// <param name="nornId">The norn id.</param>
    /// <param name="field">The field (<see cref="HttpSecret"/>, …).</param>
    /// <param name="stored">The stored form; <see langword="null"/> when the norn has no such secret.</param>
    /// <param name="secret">The secret, or <see langword="null"/> when there is none.</param>
    /// <returns><see langword="false"/> when a stored secret cannot be revealed: do not send without it.</returns>
    public static bool TryReveal(INornSecretProtector protector, string nornId, string field, string? stored, out string? secret)
    {
        ArgumentNullException.ThrowIfNull(protector);
        if (stored is null)
        {
            secret = null;
            return true;
        }

        if (protector is NornSecretProtector or NornSecretProtector.PassThrough && !stored.StartsWith(NornSecretProtector.Prefix, StringComparison.Ordinal))
        {
            // The built-in protectors keep a secret without the prefix as it is (written before keys were configured):
            // no purpose string to build for every send.
            secret = stored;
            return true;
        }

        var revealed = protector.TryUnprotect(stored, Purpose(nornId, field), out var value);
        secret = value;
        return revealed;
    }

    /// <summary>The purpose a norn's secret is protected for: the norn id and the field.</summary>
    /// <param name="nornId">The norn id.</param>
    /// <param name="field">The field.</param>
    /// <returns>The purpose.</returns>
    public static string Purpose(string nornId, string field) => string.Concat(nornId, "/", field);

    private static string? ProtectOptional(INornSecretProtector protector, string? secret, string nornId, string field) =>
        secret is null ? null : protector.Protect(secret, Purpose(nornId, field));
}
