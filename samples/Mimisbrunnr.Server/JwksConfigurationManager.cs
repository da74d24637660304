using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Mimisbrunnr.Server;

/// <summary>
/// Signing keys from a JWKS document URL (<c>Server:Jwt:KeysUrl</c>), as XMiDT's key server publishes them, for a
/// token issuer without OpenID Connect discovery. The keys are fetched on first use, again every
/// <see cref="RefreshInterval"/>, and at once when a token names a key the set does not have (JwtBearer asks for a
/// refresh then), but not more than once per <see cref="MinimumRefreshInterval"/>.
/// </summary>
internal sealed class JwksConfigurationManager(Uri keysUrl, HttpClient client, TimeProvider time) : IConfigurationManager<OpenIdConnectConfiguration>
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromHours(1);
    public static readonly TimeSpan MinimumRefreshInterval = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private OpenIdConnectConfiguration? _current;
    private DateTimeOffset _fetchedAt;
    private bool _refreshRequested;

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var now = time.GetUtcNow();
        if (_current is { } current && now - _fetchedAt < RefreshInterval && !(_refreshRequested && now - _fetchedAt >= MinimumRefreshInterval))
        {
            return current;
        }

        await _gate.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            now = time.GetUtcNow();
            if (_current is { } fresh && now - _fetchedAt < RefreshInterval && !(_refreshRequested && now - _fetchedAt >= MinimumRefreshInterval))
            {
                return fresh;
            }

            try
            {
                var json = await client.GetStringAsync(keysUrl, cancel).ConfigureAwait(false);
                var configuration = new OpenIdConnectConfiguration { JsonWebKeySet = new JsonWebKeySet(json) };
                foreach (var key in configuration.JsonWebKeySet.GetSigningKeys())
                {
                    configuration.SigningKeys.Add(key);
                }

                _current = configuration;
                _fetchedAt = now;
                _refreshRequested = false;
                return configuration;
            }
            catch (Exception) when (_current is { } stale)
            {
                // Keep the keys we have when the key server is briefly unreachable.
                return stale;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void RequestRefresh() => _refreshRequested = true;
}
