using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Management;
using Mimisbrunnr.Sqs;

namespace Mimisbrunnr.DependencyInjection;

/// <summary>Adds the Amazon SQS destination.</summary>
public static class SqsDestinationBuilderExtensions
{
    /// <summary>
    /// Delivers the events of norns whose destination is <c>sqs</c> to their Amazon SQS queue (see
    /// <see cref="SqsDestinationOptions"/>), and applies the host's SQS rules at registration: queue URLs under
    /// <see cref="SqsDestinationOptions.ServiceUrl"/> are accepted, and a norn without an access key of its own is
    /// refused unless <see cref="SqsDestinationOptions.AllowAmbientCredentials"/> is set and its queue is on
    /// <see cref="SqsDestinationOptions.AllowedQueues"/>. The options are bound from the configuration section
    /// <c>Mimisbrunnr:Sqs</c> when the host has a configuration, then <paramref name="configure"/> runs; they are
    /// validated when the host starts.
    /// </summary>
    /// <param name="builder">The builder from <c>AddMimisbrunnr()</c>.</param>
    /// <param name="configure">Sets options after binding; optional (norn credentials and AWS endpoints need nothing).</param>
    /// <returns>The builder.</returns>
    public static IMimisbrunnrBuilder AddSqsDestination(this IMimisbrunnrBuilder builder, Action<SqsDestinationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<SqsDestinationOptions>()
            .Configure<IServiceProvider>(static (options, sp) =>
                sp.GetService<IConfiguration>()?.GetSection(SqsDestinationOptions.SectionName).Bind(options))
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqsDestinationOptions>, SqsDestinationOptionsValidator>());
        services.TryAddSingleton<SqsQueuePolicy>();
        services.TryAddSingleton<ISqsDestinationRules>(static sp => sp.GetRequiredService<SqsQueuePolicy>());
        services.TryAddSingleton<ISqsClientFactory, AmazonSqsClientFactory>();
        services.TryAddSingleton<SqsClientCache>();
        services.TryAddSingleton<SqsFailureNotifier>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INornDestinationSender, SqsNornSender>());
        return builder;
    }
}
