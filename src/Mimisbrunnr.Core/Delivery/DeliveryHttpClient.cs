namespace Mimisbrunnr.Delivery;

/// <summary>
/// The named <see cref="System.Net.Http.HttpClient"/> every outbound request to a consumer goes through (deliveries,
/// cut-off and failure notices), so that all of them get the connect-time SSRF checks, the connection limits and no
/// redirects. A destination package that posts to a consumer's URL creates its client with this name.
/// </summary>
public static class DeliveryHttpClient
{
    /// <summary>The name of the client, for <c>IHttpClientFactory.CreateClient(name)</c>.</summary>
    public const string Name = "Mimisbrunnr.Delivery";
}
