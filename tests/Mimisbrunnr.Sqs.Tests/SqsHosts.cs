using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>
/// <see cref="MimisbrunnrTestHost"/>s with the SQS destination sending to <c>serviceUrl</c> (the emulator or a
/// <see cref="SqsFaultProxy"/>), debug logs recorded, and an optional store shared between hosts.
/// </summary>
internal static class SqsHosts
{
    /// <summary>The owner the tests register norns as.</summary>
    public const string Owner = TestNorns.Owner;

    public static Task<MimisbrunnrTestHost> StartAsync(
        Uri serviceUrl,
        Action<SqsDestinationOptions>? sqs = null,
        Action<MimisbrunnrOptions>? engine = null,
        INornStore? store = null) =>
        MimisbrunnrTestHost.StartAsync(o =>
        {
            o.MinimumLogLevel = LogLevel.Debug;
            o.Engine += e => e.Delivery.Timeout = TimeSpan.FromSeconds(10);
            o.Engine += engine;
            o.Mimisbrunnr += b => b.AddSqsDestination(options =>
            {
                options.ServiceUrl = serviceUrl;
                sqs?.Invoke(options);
            });
            if (store is not null)
            {
                o.Mimisbrunnr += b => b.Services.Replace(ServiceDescriptor.Singleton(store));
            }
        });

    /// <summary>Registers a norn as <see cref="Owner"/>; returns the status and the parsed answer.</summary>
    public static Task<(HttpStatusCode Status, JsonElement Body)> RegisterAsync(this MimisbrunnrTestHost host, NornRequest request) =>
        host.RegisterAsync(request.ToJson());

    /// <summary>Registers a norn (raw JSON) as <see cref="Owner"/>; returns the status and the parsed answer.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> RegisterAsync(this MimisbrunnrTestHost host, string json)
    {
        using var response = await host.SendAsync(HttpMethod.Post, "norns", Owner, json);
        return (response.StatusCode, await response.ReadJsonAsync());
    }
}
