using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Client;

/// <summary>Registers the Mimisbrunnr client with <see cref="IHttpClientFactory"/>.</summary>
public static class MimisbrunnrClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="INornClient"/> as a typed <see cref="HttpClient"/> client with the base address and
    /// credentials of <see cref="MimisbrunnrClientOptions"/> (validated when the client is first resolved).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; it may be called again through the options system.</param>
    /// <returns>
    /// The client's builder, to add handlers (<c>.AddStandardResilienceHandler()</c>, logging, your own
    /// <see cref="DelegatingHandler"/>) or configure the <see cref="HttpClient"/> (timeout). Handlers added here run
    /// after the credentials handler, so they see the <c>Authorization</c> header.
    /// </returns>
    /// <example>
    /// <code>
    /// services.AddMimisbrunnrClient(options =>
    /// {
    ///     options.BaseAddress = new Uri("https://mimisbrunnr.example/");
    ///     options.UseBasicAuthentication("consumer", "secret");
    /// });
    /// </code>
    /// </example>
    public static IHttpClientBuilder AddMimisbrunnrClient(this IServiceCollection services, Action<MimisbrunnrClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<MimisbrunnrClientOptions>()
            .Configure(configure)
            .Validate(
                options => options.BaseAddress is { IsAbsoluteUri: true } address && (address.Scheme == Uri.UriSchemeHttp || address.Scheme == Uri.UriSchemeHttps),
                "MimisbrunnrClientOptions.BaseAddress must be the absolute http or https address of the Mimisbrunnr server, for example https://mimisbrunnr.example/.");
        return services
            .AddHttpClient<INornClient, NornClient>((provider, http) =>
                http.BaseAddress = provider.GetRequiredService<IOptions<MimisbrunnrClientOptions>>().Value.BaseAddress)
            .AddHttpMessageHandler(provider =>
                MimisbrunnrAuthenticationHandler.For(provider.GetRequiredService<IOptions<MimisbrunnrClientOptions>>().Value.Credentials));
    }
}
