using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>A store that fails for reasons of its own makes the API answer 503 with Retry-After, never 500.</summary>
public sealed class StoreFailureTests
{
    private const string NornId = "0000000000000000000000000000000000000000000000000000000000000000";

    [Theory]
    [InlineData("POST", "/norns", 7)]
    [InlineData("GET", "/norns", 7)]
    [InlineData("GET", "/norns/" + NornId, 7)]
    [InlineData("DELETE", "/norns/" + NornId, 7)]
    [InlineData("PUT", "/norns/" + NornId, 5)]
    public async Task An_unavailable_store_answers_503_with_retry_after(string method, string path, int retryAfter)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddMimisbrunnr(o => o.Destinations.AllowPrivateNetworks = true).ConfigureEvents(o => o.AllowUnsigned = true);
        builder.Services.Replace(ServiceDescriptor.Singleton<INornStore>(new FailingStore(method == "PUT" ? null : TimeSpan.FromSeconds(7))));
        builder.Services.AddTestUserAuthentication();
        await using var app = builder.Build();
        app.UseAuthentication();
        app.MapMimisbrunnr();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add(TestUserAuthenticationHandler.UserHeader, "alice");
        if (method is "POST" or "PUT")
        {
            request.Content = new StringContent(
                """{"deviceId":"mac:112233445566","ttl":60,"destination":{"http":{"url":"http://127.0.0.1:9/hook"}}}""",
                Encoding.UTF8,
                "application/json");
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(retryAfter), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Every request fails as an unreachable store's would; the index loads empty.</summary>
    private sealed class FailingStore(TimeSpan? retryAfter) : INornStore
    {
        public ValueTask<NornWriteResult> UpsertAsync(Norn norn, NornQuotas quotas, CancellationToken cancellationToken = default) => throw Unavailable();

        public ValueTask<Norn?> GetAsync(string id, CancellationToken cancellationToken = default) => throw Unavailable();

        public ValueTask<bool> DeleteAsync(string id, string? owner, CancellationToken cancellationToken = default) => throw Unavailable();

        public ValueTask<NornPage> ListAsync(NornQuery query, CancellationToken cancellationToken = default) => throw Unavailable();

        public async IAsyncEnumerable<Norn> LoadActiveAsync(DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            yield break;
        }

        public ValueTask<IReadOnlyList<string>> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IReadOnlyList<string>>([]);

        public async IAsyncEnumerable<NornChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            yield break;
        }

        public ValueTask PingAsync(CancellationToken cancellationToken = default) => throw Unavailable();

        private NornStoreUnavailableException Unavailable() => new("The test store is down.", retryAfter, null);
    }
}
