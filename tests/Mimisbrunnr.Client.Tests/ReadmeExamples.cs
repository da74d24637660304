using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Client.Verification;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Client.Tests;

/// <summary>
/// The code of the README's "For consumers" section, compiled here and run by <see cref="ReadmeExamplesTests"/>.
/// Keep the two in step: the README shows the bodies of these methods (the addresses are parameters here).
/// </summary>
internal static class ReadmeExamples
{
    // README: Register
    public static void AddClient(IServiceCollection services, Uri mimisbrunnr, string user, string password)
    {
        services.AddMimisbrunnrClient(options =>
        {
            options.BaseAddress = mimisbrunnr; // e.g. new Uri("https://mimisbrunnr.example/")
            options.UseBasicAuthentication(user, password);
            // or: options.UseBearerToken(cancellationToken => tokens.GetTokenAsync(cancellationToken));
        });
        // .AddStandardResilienceHandler() or your own handlers can be chained on the returned IHttpClientBuilder.
    }

    // README: Register
    public static NornRequest Registration(Uri deliveries, Uri cutOff, string secret) => new()
    {
        DeviceId = "mac:112233445566",
        Ttl = 3600, // seconds
        Destination = new DestinationRequest
        {
            Http = new HttpDestinationRequest
            {
                Url = deliveries.ToString(),    // e.g. "https://consumer.example/deliveries"
                Secret = secret,                // signs every delivery; never returned by the server
                FailureUrl = cutOff.ToString(), // e.g. "https://consumer.example/cutoff"
                ContentType = "application/json", // or "application/msgpack", or "payload"
            },
        },
        Filter = new NornFilter { Events = ["^device-status/.*/online$"] },
    };

    // README: Register
    public static async Task<NornResponse> RegisterAsync(INornClient norns, NornRequest registration, CancellationToken cancellationToken)
    {
        try
        {
            var (norn, created) = await norns.CreateOrUpdateAsync(registration, cancellationToken);
            Console.WriteLine($"{(created ? "Registered" : "Updated")} norn {norn.Id}, expires {norn.ExpiresAt:O}");
            return norn;
        }
        catch (MimisbrunnrValidationException ex)
        {
            // For example: ttl / range / "ttl 90000 exceeds the maximum of 86400 seconds."
            Console.WriteLine($"{ex.Field} / {ex.Rule} / {ex.Detail}");
            throw;
        }
    }

    // README: Receive and verify
    public static void MapDeliveries(WebApplication app, string secret, Action<VerifiedDelivery, WrpMessage> handle)
    {
        var verifier = new DeliveryVerifier(secret); // Standard Webhooks signature, 5 minutes' tolerance

        app.MapPost("/deliveries", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            try
            {
                var delivery = verifier.Verify(name => request.Headers[name], body.ToArray());
                var message = delivery.DecodeWrp(); // by Content-Type: WRP JSON or msgpack
                handle(delivery, message);          // delivery.WebhookId is the same for retries: de-duplicate on it
                return Results.NoContent();
            }
            catch (DeliveryBodyException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: ex.Message);
            }
            catch (DeliveryVerificationException ex) // a bad signature or a stale timestamp
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, detail: ex.Message);
            }
        });

        app.MapPost("/cutoff", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            try
            {
                var notice = verifier.VerifyCutOffMessage(name => request.Headers[name], body.ToArray());
                Console.WriteLine($"Norn {notice.Norn.Id} is cut off for {notice.CutOffPeriod}: {notice.Text}");
                return Results.NoContent();
            }
            catch (DeliveryVerificationException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, detail: ex.Message);
            }
        });
    }

    // README: Renew, list, delete
    public static async Task<NornResponse> RenewAsync(INornClient norns, NornRequest registration, CancellationToken cancellationToken)
    {
        // The server never returns secrets, so renew with the request you registered: it is registered again
        // with a new ttl (and created afresh if it had expired meanwhile).
        var (renewed, _) = await norns.RenewAsync(registration, TimeSpan.FromHours(1), cancellationToken);
        return renewed;
    }

    // README: Renew, list, delete
    public static async Task<int> DeleteAllAsync(INornClient norns, CancellationToken cancellationToken)
    {
        var deleted = 0;
        await foreach (var norn in norns.ListAsync(deviceId: "mac:112233445566", cancellationToken)) // follows the pages
        {
            if (await norns.DeleteAsync(norn.Id, cancellationToken))
            {
                deleted++;
            }
        }

        return deleted;
    }
}
