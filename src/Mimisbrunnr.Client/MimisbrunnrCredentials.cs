using System.Net.Http.Headers;
using System.Text;

namespace Mimisbrunnr.Client;

/// <summary>
/// How the client authenticates to the Mimisbrunnr API: HTTP Basic, a fixed bearer token, or a bearer token provider
/// asked before every request (so a refreshed token is picked up at once). The server makes the authenticated
/// principal the owner of the norns it registers.
/// </summary>
public abstract class MimisbrunnrCredentials
{
    /// <summary>HTTP Basic credentials (RFC 7617, UTF-8).</summary>
    /// <param name="userName">The user name; must not contain a colon.</param>
    /// <param name="password">The password.</param>
    /// <returns>The credentials.</returns>
    /// <exception cref="ArgumentException">The user name is empty or contains a colon.</exception>
    public static MimisbrunnrCredentials Basic(string userName, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        ArgumentNullException.ThrowIfNull(password);
        if (userName.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("A Basic user name cannot contain ':'.", nameof(userName));
        }

        return new BasicCredentials(Convert.ToBase64String(Encoding.UTF8.GetBytes(userName + ":" + password)));
    }

    /// <summary>A fixed bearer token (for example a long-lived service token).</summary>
    /// <param name="token">The token.</param>
    /// <returns>The credentials.</returns>
    public static MimisbrunnrCredentials Bearer(string token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        return new BearerCredentials(_ => ValueTask.FromResult(token));
    }

    /// <summary>
    /// A bearer token provider, called before every request. It should cache its token and fetch a new one shortly
    /// before the old one expires; whatever it returns is sent.
    /// </summary>
    /// <param name="tokenProvider">Returns the current token; receives the request's cancellation token.</param>
    /// <returns>The credentials.</returns>
    public static MimisbrunnrCredentials Bearer(Func<CancellationToken, ValueTask<string>> tokenProvider)
    {
        ArgumentNullException.ThrowIfNull(tokenProvider);
        return new BearerCredentials(tokenProvider);
    }

    /// <summary>The <c>Authorization</c> header value for the next request.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The header value.</returns>
    public abstract ValueTask<AuthenticationHeaderValue> GetAuthorizationAsync(CancellationToken cancellationToken);

    private sealed class BasicCredentials(string parameter) : MimisbrunnrCredentials
    {
        private readonly AuthenticationHeaderValue _header = new("Basic", parameter);

        public override ValueTask<AuthenticationHeaderValue> GetAuthorizationAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult(_header);

        public override string ToString() => "Basic (password hidden)";
    }

    private sealed class BearerCredentials(Func<CancellationToken, ValueTask<string>> tokenProvider) : MimisbrunnrCredentials
    {
        public override async ValueTask<AuthenticationHeaderValue> GetAuthorizationAsync(CancellationToken cancellationToken)
        {
            var token = await tokenProvider(cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(token))
            {
                throw new InvalidOperationException("The bearer token provider returned an empty token.");
            }

            return new AuthenticationHeaderValue("Bearer", token);
        }

        public override string ToString() => "Bearer (token hidden)";
    }
}
