using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;
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
        await using var host = await MimisbrunnrTestHost.StartAsync(o => o.Mimisbrunnr += b =>
            b.Services.Replace(ServiceDescriptor.Singleton<INornStore>(new FailingStore(method == "PUT" ? null : TimeSpan.FromSeconds(7)))));
        var json = method is "POST" or "PUT"
            ? TestNorns.HttpRequest("mac:112233445566", "http://127.0.0.1:9/hook", ttl: 60).ToJson()
            : null;
        using var request = MimisbrunnrTestHost.CreateRequest(new HttpMethod(method), path, "alice", json);

        using var response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(retryAfter), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
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
