using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.DependencyInjection;

namespace Mimisbrunnr.Hosting;

/// <summary>Adds Caduceus webhook registration.</summary>
public static class WebhookRegistrationBuilderExtensions
{
    /// <summary>
    /// Registers this host's <c>/events</c> endpoint with Caduceus at start and every interval. Options are validated
    /// at start (URLs absolute http/https, interval shorter than duration).
    /// </summary>
    /// <param name="builder">The Mimisbrunnr builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMimisbrunnrBuilder AddWebhookRegistration(this IMimisbrunnrBuilder builder, Action<WebhookRegistrationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        MimisbrunnrHostingBuilderExtensions.AddHostingOptions(services);
        services.AddOptions<WebhookRegistrationOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookRegistrationOptions>, WebhookRegistrationAnnotationsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookRegistrationOptions>, WebhookRegistrationOptionsValidator>());
        services.AddHttpClient(WebhookRegistrationService.HttpClientName);
        services.AddHttpClient(WebhookTokenSource.HttpClientName);
        services.TryAddSingleton<WebhookTokenSource>();
        services.TryAddSingleton<WebhookRegistrationState>();
        services.TryAddSingleton<RegistrationWakeSignal>();
        services.TryAddSingleton<CaduceusCutOffMetrics>();
        services.AddHostedService<WebhookRegistrationService>();
        return builder;
    }

    private sealed class WebhookRegistrationOptionsValidator : IValidateOptions<WebhookRegistrationOptions>
    {
        public ValidateOptionsResult Validate(string? name, WebhookRegistrationOptions options)
        {
            var errors = new List<string>();
            CheckUrl(options.RegistrationUrl, "Mimisbrunnr:Webhook:RegistrationUrl", errors);
            CheckSecure(options.RegistrationUrl, "Mimisbrunnr:Webhook:RegistrationUrl", options.AllowInsecure, errors);
            CheckUrl(options.PublicUrl, "Mimisbrunnr:Webhook:PublicUrl", errors);
            if (options.FailureUrl is not null)
            {
                CheckUrl(options.FailureUrl, "Mimisbrunnr:Webhook:FailureUrl", errors);
            }

            if (options.Jwt.AuthUrl is not null)
            {
                CheckUrl(options.Jwt.AuthUrl, "Mimisbrunnr:Webhook:Jwt:AuthUrl", errors);
                CheckSecure(options.Jwt.AuthUrl, "Mimisbrunnr:Webhook:Jwt:AuthUrl", options.AllowInsecure, errors);
            }

            if (options.Duration < TimeSpan.FromSeconds(1))
            {
                errors.Add("Mimisbrunnr:Webhook:Duration must be at least 1 second.");
            }

            if (options.Interval <= TimeSpan.Zero)
            {
                errors.Add("Mimisbrunnr:Webhook:Interval must be positive.");
            }
            else if (options.Interval >= options.Duration)
            {
                errors.Add(
                    $"Mimisbrunnr:Webhook:Interval ({options.Interval}) must be shorter than Duration ({options.Duration}), "
                    + "or the registration lapses between renewals.");
            }

            if (options.Timeout <= TimeSpan.Zero || options.RetryBaseDelay <= TimeSpan.Zero)
            {
                errors.Add("Mimisbrunnr:Webhook:Timeout and RetryBaseDelay must be positive.");
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }

        private static void CheckSecure(Uri? url, string key, bool allowInsecure, List<string> errors)
        {
            if (url is { IsAbsoluteUri: true } && url.Scheme == Uri.UriSchemeHttp && !allowInsecure)
            {
                errors.Add(
                    $"{key} must be https: the registration carries the events secret and credentials. "
                    + "Set Mimisbrunnr:Webhook:AllowInsecure=true to allow http (test beds only).");
            }
        }

        private static void CheckUrl(Uri? url, string key, List<string> errors)
        {
            if (url is null || !url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"{key} must be an absolute http or https URL.");
            }
        }
    }
}

/// <summary>The attribute rules of <see cref="WebhookRegistrationOptions"/>, generated at build time.</summary>
[OptionsValidator]
internal sealed partial class WebhookRegistrationAnnotationsValidator : IValidateOptions<WebhookRegistrationOptions>;
