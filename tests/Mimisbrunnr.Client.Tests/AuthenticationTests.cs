using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Client.Tests;

/// <summary>Credentials and the dependency-injection registration.</summary>
public sealed class AuthenticationTests
{
    private static readonly Uri Hook = new("http://127.0.0.1:9/hook");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_bearer_provider_is_asked_for_every_request_and_a_refreshed_token_is_used_at_once()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(clock: clock);
        var lifetime = TimeSpan.FromMinutes(1);

        // A typical provider: caches its token and fetches a new one when the cached one is about to expire.
        var fetched = new List<string>();
        var asked = 0;
        (string Token, DateTimeOffset Expires)? cached = null;
        ValueTask<string> Provider(CancellationToken cancellationToken)
        {
            asked++;
            if (cached is not { } current || clock.GetUtcNow() >= current.Expires - TimeSpan.FromSeconds(5))
            {
                var token = server.Tokens.Issue("alice", lifetime);
                fetched.Add(token);
                cached = (token, clock.GetUtcNow() + lifetime);
            }

            return ValueTask.FromResult(cached.Value.Token);
        }

        var client = new NornClient(server.HttpClient(MimisbrunnrCredentials.Bearer(Provider)));
        var (norn, _) = await client.CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(1), Hook, secret: TestNorns.Secret), Ct);
        Assert.NotNull(await client.GetAsync(norn.Id, Ct));
        var first = Assert.Single(fetched);

        // The first token expires at the server; a client holding on to it is refused.
        clock.Advance(lifetime + TimeSpan.FromSeconds(1));
        var stale = new NornClient(server.HttpClient(MimisbrunnrCredentials.Bearer(first)));
        await Assert.ThrowsAsync<MimisbrunnrUnauthorizedException>(() => stale.GetAsync(norn.Id, Ct));

        // The provider's client carries on with a fresh token.
        Assert.Single(await client.ListAsync(cancellationToken: Ct).ToListAsync(Ct));
        Assert.True(await client.DeleteAsync(norn.Id, Ct));

        Assert.Equal(2, fetched.Count);
        Assert.Equal(4, asked);
        Assert.Equal([first, first, first, fetched[1], fetched[1]], server.Tokens.Seen.ToArray());
    }

    [Fact]
    public async Task A_token_provider_that_returns_nothing_fails_before_sending()
    {
        await using var server = await TestServer.StartAsync();
        var client = new NornClient(server.HttpClient(MimisbrunnrCredentials.Bearer(_ => ValueTask.FromResult(""))));
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetAsync(new string('0', 64), Ct));
        Assert.Empty(server.Tokens.Seen);
    }

    [Fact]
    public void Basic_credentials_refuse_a_user_name_with_a_colon() =>
        Assert.Throws<ArgumentException>(() => MimisbrunnrCredentials.Basic("a:b", "c"));

    [Fact]
    public async Task AddMimisbrunnrClient_registers_a_typed_client_whose_builder_chains_handlers_after_the_credentials()
    {
        await using var server = await TestServer.StartAsync();
        var recorder = new RecordingHandler();
        var services = new ServiceCollection();
        services.AddMimisbrunnrClient(options =>
            {
                options.BaseAddress = server.BaseAddress;
                options.UseBasicAuthentication("alice", TestServer.Users["alice"]);
            })
            .AddHttpMessageHandler(() => recorder)
            .ConfigureHttpClient(http => http.Timeout = TimeSpan.FromSeconds(30));
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<INornClient>();
        var (norn, created) = await client.CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(2), Hook, secret: TestNorns.Secret), Ct);
        Assert.True(created);
        Assert.Equal(norn.Id, (await client.GetAsync(norn.Id, Ct))?.Id);

        var expected = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("alice:wonderland"u8.ToArray())).ToString();
        Assert.Equal(2, recorder.Requests.Count);
        Assert.All(recorder.Requests, r => Assert.Equal(expected, r.Authorization));
    }

    [Fact]
    public async Task AddMimisbrunnrClient_with_a_token_provider_and_no_credentials()
    {
        await using var server = await TestServer.StartAsync();
        var token = server.Tokens.Issue("bob", TimeSpan.FromHours(1));
        var services = new ServiceCollection();
        services.AddMimisbrunnrClient(options =>
        {
            options.BaseAddress = server.BaseAddress;
            options.UseBearerToken(_ => ValueTask.FromResult(token));
        });
        await using (var provider = services.BuildServiceProvider())
        {
            var (norn, _) = await provider.GetRequiredService<INornClient>().CreateOrUpdateAsync(TestNorns.HttpRequest(TestNorns.Mac(3), Hook, secret: TestNorns.Secret), Ct);
            Assert.Equal(TestNorns.Mac(3), norn.DeviceId);
        }

        var anonymous = new ServiceCollection();
        anonymous.AddMimisbrunnrClient(options => options.BaseAddress = server.BaseAddress);
        await using (var provider = anonymous.BuildServiceProvider())
        {
            await Assert.ThrowsAsync<MimisbrunnrUnauthorizedException>(
                () => provider.GetRequiredService<INornClient>().GetAsync(new string('0', 64), Ct));
        }
    }

    [Fact]
    public void AddMimisbrunnrClient_without_a_base_address_fails_with_a_readable_message()
    {
        var services = new ServiceCollection();
        services.AddMimisbrunnrClient(options => options.UseBasicAuthentication("alice", "x"));
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<INornClient>());
        Assert.Contains("BaseAddress", ex.Message, StringComparison.Ordinal);
    }
}
