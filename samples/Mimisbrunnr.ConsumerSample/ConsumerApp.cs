using Mimisbrunnr.Client;
using Mimisbrunnr.Client.Verification;

namespace Mimisbrunnr.ConsumerSample;

/// <summary>Builds the consumer web app (also used by the tests, which start it in-process).</summary>
public static class ConsumerApp
{
    /// <summary>Builds the app from the command line, the environment and appsettings.json.</summary>
    /// <param name="args">The command-line arguments, for example <c>--Consumer:DeviceId=mac:112233445566</c>.</param>
    /// <returns>The app, not yet started.</returns>
    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls("http://localhost:6700");
        }

        var settings = ConsumerSettings.From(builder.Configuration);
        builder.Services.AddSingleton(settings);

        // The SDK: a typed HttpClient for the /norns API, authenticated as the configured user.
        builder.Services.AddMimisbrunnrClient(options =>
        {
            options.BaseAddress = new Uri(settings.ServerUrl);
            options.UseBasicAuthentication(settings.User, settings.Password);
        });

        // Verifies every delivery with the norn's secret (Standard Webhooks signature, 5 minutes' tolerance).
        builder.Services.AddSingleton(new DeliveryVerifier(settings.Secret));
        builder.Services.AddSingleton<ReceivedDeliveries>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<NornRenewalService>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<NornRenewalService>());
        builder.Services.AddSingleton<DeliveryStatusReporter>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<DeliveryStatusReporter>());

        var app = builder.Build();
        app.MapPost("/deliveries", DeliveryEndpoints.ReceiveAsync);
        app.MapPost("/cutoff", DeliveryEndpoints.CutOffAsync);
        return app;
    }
}
