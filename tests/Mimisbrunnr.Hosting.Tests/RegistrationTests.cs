using System.Text.Json;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Hosting.Tests;

public sealed class RegistrationTests : IAsyncLifetime
{
    private SinkServer _caduceus = null!;

    public async ValueTask InitializeAsync() => _caduceus = await SinkServer.StartAsync();

    public async ValueTask DisposeAsync() => await _caduceus.DisposeAsync();

    private static Task<MimisbrunnrTestHost> StartAsync(Action<WebhookRegistrationOptions> configure) =>
        MimisbrunnrTestHost.StartAsync(o =>
        {
            o.Events += e => e.Secret = "shared-secret";
            o.Mimisbrunnr += b => b.AddWebhookRegistration(configure);
        });

    [Fact]
    public async Task Registers_the_v1_body_with_bearer_token_and_partner_ids_retries_500_and_renews()
    {
        _caduceus.Enqueue("/hook", SinkResponse.WithStatus(500));
        _caduceus.SetDefault("/hook", SinkResponse.Ok);
        _caduceus.SetDefault("/auth", SinkResponse.Json("""{"serviceAccessToken":"token-abc","expires_in":1}"""));
        await using var host = await StartAsync(o =>
        {
            o.RegistrationUrl = _caduceus.Url("/hook");
            o.AllowInsecure = true; // the fake Caduceus listens on http://127.0.0.1
            o.PublicUrl = new Uri("https://mimisbrunnr.example/events");
            o.FailureUrl = new Uri("https://mimisbrunnr.example/cutoff");
            o.Interval = TimeSpan.FromMilliseconds(300);
            o.Duration = TimeSpan.FromMinutes(5);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
            o.Events.Add("device-status/.*");
            o.PartnerIds.Add("comcast");
            o.PartnerIds.Add("example");
            o.Jwt.AuthUrl = _caduceus.Url("/auth");
            o.Jwt.Basic = "svc:pw";
            o.Jwt.RefreshBeforeExpiry = TimeSpan.FromMilliseconds(500);
        });

        var requests = await _caduceus.WaitForRequestsAsync(4, "/hook");
        await host.StopAsync();

        var first = requests[0];
        Assert.Equal("POST", first.Method);
        Assert.Equal("Bearer token-abc", first.Header("Authorization"));
        Assert.Equal("comcast,example", first.Header("X-Xmidt-Partner-Ids"));
        using var body = JsonDocument.Parse(first.Body);
        var root = body.RootElement;
        Assert.Equal("https://mimisbrunnr.example/events", root.GetProperty("config").GetProperty("url").GetString());
        Assert.Equal("wrp", root.GetProperty("config").GetProperty("content_type").GetString());
        Assert.Equal("shared-secret", root.GetProperty("config").GetProperty("secret").GetString());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("config").GetProperty("alt_urls").ValueKind);
        Assert.Equal("https://mimisbrunnr.example/cutoff", root.GetProperty("failure_url").GetString());
        Assert.Equal("device-status/.*", root.GetProperty("events")[0].GetString());
        Assert.Equal(".*", root.GetProperty("matcher").GetProperty("device_id")[0].GetString());
        Assert.Equal("300s", root.GetProperty("duration").GetString());

        // The 500 was retried after the backoff (20 ms), not the interval: the service says which delay it chose.
        var retry = Assert.Single(host.Logs.GetSnapshot(), r => r.Message.StartsWith("Webhook registration failed", StringComparison.Ordinal));
        Assert.Contains("(1 in a row), retrying in 0.02 s", retry.Message, StringComparison.Ordinal);

        // Renewals follow the interval (a lower bound: a slow machine only makes the gap longer).
        Assert.True(requests[3].ReceivedAt - requests[2].ReceivedAt >= TimeSpan.FromMilliseconds(250));

        // The token (1 s lifetime, refreshed 0.5 s early) was fetched with Basic auth, and again once it aged.
        var basic = "Basic " + Convert.ToBase64String("svc:pw"u8.ToArray());
        var auth = await _caduceus.WaitForRequestsAsync(2, "/auth");
        Assert.All(auth, r => Assert.Equal(basic, r.Header("Authorization")));
    }

    [Fact]
    public async Task Basic_auth_is_used_without_a_token_source()
    {
        _caduceus.SetDefault("/basic", SinkResponse.Ok);
        await using var host = await StartAsync(o =>
        {
            o.RegistrationUrl = _caduceus.Url("/basic");
            o.AllowInsecure = true;
            o.PublicUrl = new Uri("https://mimisbrunnr.example/events");
            o.Basic = "user:pass";
        });
        var request = (await _caduceus.WaitForRequestsAsync(1, "/basic"))[0];
        await host.StopAsync();
        Assert.Equal("Basic " + Convert.ToBase64String("user:pass"u8.ToArray()), request.Header("Authorization"));
    }

    [Fact]
    public async Task Interval_not_shorter_than_duration_is_refused_at_start()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(o =>
        {
            o.RegistrationUrl = _caduceus.Url("/hook");
            o.AllowInsecure = true;
            o.PublicUrl = new Uri("https://mimisbrunnr.example/events");
            o.Interval = TimeSpan.FromMinutes(5);
            o.Duration = TimeSpan.FromMinutes(5);
        }));
        Assert.Contains("Interval", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://caduceus.example/hook", "https://auth.example/token", "Mimisbrunnr:Webhook:RegistrationUrl must be https")]
    [InlineData("https://caduceus.example/hook", "http://auth.example/token", "Mimisbrunnr:Webhook:Jwt:AuthUrl must be https")]
    public async Task Registration_over_http_is_refused_at_start_unless_allowed(string registrationUrl, string authUrl, string expected)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(o =>
        {
            o.RegistrationUrl = new Uri(registrationUrl);
            o.PublicUrl = new Uri("https://mimisbrunnr.example/events");
            o.Jwt.AuthUrl = new Uri(authUrl);
        }));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("AllowInsecure", error.Message, StringComparison.Ordinal);
    }
}
