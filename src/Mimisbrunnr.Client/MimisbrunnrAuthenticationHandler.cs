namespace Mimisbrunnr.Client;

/// <summary>
/// Puts the <see cref="MimisbrunnrCredentials"/> on every request that has no <c>Authorization</c> header yet.
/// <c>AddMimisbrunnrClient</c> adds it for you; add it yourself when you build the <see cref="HttpClient"/> by hand.
/// </summary>
public sealed class MimisbrunnrAuthenticationHandler : DelegatingHandler
{
    private readonly MimisbrunnrCredentials? _credentials;

    /// <summary>Creates the handler; set <see cref="DelegatingHandler.InnerHandler"/> or let a factory chain it.</summary>
    /// <param name="credentials">The credentials.</param>
    public MimisbrunnrAuthenticationHandler(MimisbrunnrCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _credentials = credentials;
    }

    /// <summary>Creates the handler in front of <paramref name="innerHandler"/>.</summary>
    /// <param name="credentials">The credentials.</param>
    /// <param name="innerHandler">The next handler, for example a <see cref="SocketsHttpHandler"/>.</param>
    public MimisbrunnrAuthenticationHandler(MimisbrunnrCredentials credentials, HttpMessageHandler innerHandler)
        : base(innerHandler)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _credentials = credentials;
    }

    /// <summary>A pass-through (no credentials configured).</summary>
    private MimisbrunnrAuthenticationHandler()
    {
    }

    /// <summary>The handler for configured options: a pass-through when no credentials are set.</summary>
    internal static MimisbrunnrAuthenticationHandler For(MimisbrunnrCredentials? credentials) =>
        credentials is null ? new MimisbrunnrAuthenticationHandler() : new MimisbrunnrAuthenticationHandler(credentials);

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_credentials is not null && request.Headers.Authorization is null)
        {
            request.Headers.Authorization = await _credentials.GetAuthorizationAsync(cancellationToken).ConfigureAwait(false);
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
