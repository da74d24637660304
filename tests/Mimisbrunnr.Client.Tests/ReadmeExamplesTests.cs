using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.Client.Verification;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Client.Tests;

/// <summary>Runs the README's consumer code against the real server.</summary>
public sealed class ReadmeExamplesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_readme_code_registers_receives_verifies_renews_and_deletes()
    {
        await using var server = await TestServer.StartAsync();

        // The consumer: the README's endpoints in a real app on 127.0.0.1.
        const string Secret = "readme-secret";
        var received = new ConcurrentQueue<(VerifiedDelivery Delivery, WrpMessage Message)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        ReadmeExamples.AddClient(builder.Services, server.BaseAddress, "reader", TestServer.Users["reader"]);
        await using var app = builder.Build();
        ReadmeExamples.MapDeliveries(app, Secret, (delivery, message) => received.Enqueue((delivery, message)));
        await app.StartAsync(Ct);
        var consumer = new Uri(app.Urls.First().TrimEnd('/') + "/");

        var norns = app.Services.GetRequiredService<INornClient>();
        var registration = ReadmeExamples.Registration(new Uri(consumer, "deliveries"), new Uri(consumer, "cutoff"), Secret);
        var norn = await ReadmeExamples.RegisterAsync(norns, registration, Ct);

        await server.PostEventAsync(TestEvents.DeviceStatus("mac:112233445566", eventName: "offline")); // filtered out
        var online = TestEvents.DeviceStatus("mac:112233445566", eventName: "online", transaction: "readme");
        await server.PostEventAsync(online);
        await Eventually.TrueAsync(() => !received.IsEmpty, "the delivery");
        var (delivery, message) = Assert.Single(received);
        Assert.Equal(online, message);
        Assert.Equal("device-status/mac:112233445566/online", delivery.EventType);

        var renewed = await ReadmeExamples.RenewAsync(norns, registration, Ct);
        Assert.Equal(norn.Id, renewed.Id);
        Assert.Equal(TimeSpan.FromHours(1), renewed.ExpiresAt - renewed.UpdatedAt);

        var invalid = registration with { Ttl = 90_000 };
        var ex = await Assert.ThrowsAsync<MimisbrunnrValidationException>(() => ReadmeExamples.RegisterAsync(norns, invalid, Ct));
        Assert.Equal("ttl", ex.Field);

        Assert.Equal(1, await ReadmeExamples.DeleteAllAsync(norns, Ct));
        Assert.Null(await norns.GetAsync(norn.Id, Ct));
        await app.StopAsync(Ct);
    }
}
