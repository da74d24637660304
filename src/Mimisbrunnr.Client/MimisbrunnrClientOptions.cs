namespace Mimisbrunnr.Client;

/// <summary>Options of the client registered by <c>AddMimisbrunnrClient</c>.</summary>
public sealed class MimisbrunnrClientOptions
{
    /// <summary>
    /// The absolute address of the Mimisbrunnr server, including the prefix its API is mapped under, for example
    /// <c>https://mimisbrunnr.example/</c> or <c>https://gateway.example/mimisbrunnr/</c>. Required.
    /// </summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The credentials put on every request; <see langword="null"/> sends none.</summary>
    public MimisbrunnrCredentials? Credentials { get; set; }

    /// <summary>Authenticates with HTTP Basic.</summary>
    /// <param name="userName">The user name.</param>
    /// <param name="password">The password.</param>
    /// <returns>These options.</returns>
    public MimisbrunnrClientOptions UseBasicAuthentication(string userName, string password)
    {
        Credentials = MimisbrunnrCredentials.Basic(userName, password);
        return this;
    }

    /// <summary>Authenticates with a fixed bearer token.</summary>
    /// <param name="token">The token.</param>
    /// <returns>These options.</returns>
    public MimisbrunnrClientOptions UseBearerToken(string token)
    {
        Credentials = MimisbrunnrCredentials.Bearer(token);
        return this;
    }

    /// <summary>
    /// Authenticates with a bearer token from <paramref name="tokenProvider"/>, asked before every request, so a
    /// refreshed token is used as soon as the provider returns it.
    /// </summary>
    /// <param name="tokenProvider">Returns the current token.</param>
    /// <returns>These options.</returns>
    public MimisbrunnrClientOptions UseBearerToken(Func<CancellationToken, ValueTask<string>> tokenProvider)
    {
        Credentials = MimisbrunnrCredentials.Bearer(tokenProvider);
        return this;
    }
}
