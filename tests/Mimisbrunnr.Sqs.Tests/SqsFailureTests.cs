using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Sqs.Tests;

/// <summary>Missing queues, bad credentials and queues outside the allow-list: refused at registration or at delivery.</summary>
[Collection(AmbientCredentialsCollection.Name)]
public sealed class SqsFailureTests : IAsyncLifetime
{
    private const string Device = "mac:112233445566";
    private const string NoticeSecret = "notice-secret";
    private SinkServer _sink = null!;

    public async ValueTask InitializeAsync() => _sink = await SinkServer.StartAsync(TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _sink.DisposeAsync();

    [Fact]
    public async Task A_missing_queue_is_counted_logged_and_reported_once_at_the_failure_url()
    {
        using var emulator = SqsEmulator.Require();
        var queueUrl = SqsEmulator.QueueUrl(emulator.ServiceUrl, SqsEmulator.UniqueName("never-created"));
        await using var host = await SqsHosts.StartAsync(emulator.ServiceUrl);
        using var drops = Drops(host);
        var (status, _) = await host.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey, failureUrl: _sink.Url("/failure"), secret: NoticeSecret));
        Assert.Equal(HttpStatusCode.Created, status);

        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device)));
        var notice = Assert.Single(await _sink.WaitForRequestsAsync(1, "/failure"));
        await drops.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(20));
        AssertSigned(notice);
        using (var json = JsonDocument.Parse(notice.Body))
        {
            Assert.Equal("queue_does_not_exist", json.RootElement.GetProperty("error").GetString());
            Assert.Equal(queueUrl, json.RootElement.GetProperty("norn").GetProperty("destination").GetProperty("sqs").GetProperty("queueUrl").GetString());
        }

        Assert.Equal(("failed", 1L), ((string)drops.LastMeasurement!.Tags["reason"]!, drops.LastMeasurement.Value));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Message.Contains("queue_does_not_exist", StringComparison.Ordinal));

        // The norn stays registered and keeps failing, counted each time; the owner is told once per interval.
        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "txn-2")));
        await drops.WaitForMeasurementsAsync(2, TimeSpan.FromSeconds(20));
        Assert.Single(_sink.RequestsTo("/failure"));
        AssertNoSecretLogged(host);
    }

    [Fact]
    public async Task Credentials_sqs_refuses_are_final_counted_and_reported()
    {
        using var emulator = SqsEmulator.Require();
        await using var proxy = await SqsFaultProxy.StartAsync(emulator.ServiceUrl);
        proxy.AcceptedAccessKeys = ["AKIDSOMEONEELSE"];
        var name = SqsEmulator.UniqueName("denied");
        var queueUrl = await emulator.CreateQueueAsync(name, proxy.BaseAddress);
        await using var host = await SqsHosts.StartAsync(proxy.BaseAddress, sqs: o => o.Retries = 3);
        using var drops = Drops(host);
        var (status, _) = await host.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey, failureUrl: _sink.Url("/failure"), secret: NoticeSecret, sessionToken: "session-token-do-not-log"));
        Assert.Equal(HttpStatusCode.Created, status);

        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device)));
        var notice = Assert.Single(await _sink.WaitForRequestsAsync(1, "/failure"));
        await drops.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(20));

        AssertSigned(notice);
        using (var json = JsonDocument.Parse(notice.Body))
        {
            Assert.Equal("access_denied", json.RootElement.GetProperty("error").GetString());
            Assert.Equal("InvalidClientTokenId", json.RootElement.GetProperty("code").GetString());
        }

        Assert.Equal("failed", drops.LastMeasurement!.Tags["reason"]);
        Assert.Single(proxy.Operations); // final: not retried
        Assert.Equal((0, 0, 0), await emulator.InspectAsync(name));
        Assert.DoesNotContain("session-token-do-not-log", Encoding.UTF8.GetString(notice.Body), StringComparison.Ordinal);
        AssertNoSecretLogged(host, "session-token-do-not-log");
    }

    [Fact]
    public async Task Without_ambient_credentials_a_norn_must_bring_an_access_key()
    {
        // Refused at registration: no SQS request is made, so no emulator is needed.
        await using var host = await SqsHosts.StartAsync(new Uri("http://127.0.0.1:9"));
        var queueUrl = "http://127.0.0.1:9/000000000000/q";

        var (status, problem) = await host.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("destination.sqs.accessKeyId", problem.GetProperty("field").GetString());
        Assert.Equal("required", problem.GetProperty("rule").GetString());
        Assert.Contains("does not lend its own AWS credentials", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var half = """{"deviceId":"mac:112233445566","ttl":60,"destination":{"sqs":{"queueUrl":"http://127.0.0.1:9/000000000000/q","accessKeyId":"AKID"}}}""";
        (status, problem) = await host.RegisterAsync(half);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("destination.sqs.secretAccessKey", problem.GetProperty("field").GetString());
        Assert.Equal("together", problem.GetProperty("rule").GetString());

        var elsewhere = TestNorns.SqsRequest(Device, "http://127.0.0.1:10/000000000000/q", SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey);
        (status, problem) = await host.RegisterAsync(elsewhere);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("destination.sqs.queueUrl", problem.GetProperty("field").GetString());
        Assert.Equal("format", problem.GetProperty("rule").GetString());
    }

    [Fact]
    public async Task Ambient_credentials_serve_only_queues_on_the_allow_list()
    {
        using var emulator = SqsEmulator.Require();
        var allowed = SqsEmulator.UniqueName("allowed");
        var allowedUrl = await emulator.CreateQueueAsync(allowed);
        var other = SqsEmulator.UniqueName("other");
        var otherUrl = await emulator.CreateQueueAsync(other);
        using var ambient = AmbientCredentials.Set("AKIDAMBIENT", "ambient-secret-do-not-log");
        await using var host = await SqsHosts.StartAsync(emulator.ServiceUrl, sqs: o =>
        {
            o.AllowAmbientCredentials = true;
            o.AllowedQueues.Add(SqsEmulator.QueueUrl(emulator.ServiceUrl, "allowed-*"));
        });

        var (status, problem) = await host.RegisterAsync(TestNorns.SqsRequest(Device, otherUrl));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("destination.sqs.queueUrl", problem.GetProperty("field").GetString());
        Assert.Equal("notAllowed", problem.GetProperty("rule").GetString());

        // Its own credentials make the same queue acceptable.
        Assert.Equal(HttpStatusCode.Created, (await host.RegisterAsync(TestNorns.SqsRequest("mac:aabbccddeeff", otherUrl, SqsEmulator.AccessKeyId, SqsEmulator.SecretAccessKey))).Status);

        var (created, norn) = await host.RegisterAsync(TestNorns.SqsRequest(Device, allowedUrl));
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.False(norn.GetProperty("destination").GetProperty("sqs").GetProperty("hasCredentials").GetBoolean());
        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device)));
        Assert.Single(await emulator.ReceiveAsync(allowed, 1));
        AssertNoSecretLogged(host, "ambient-secret-do-not-log");
    }

    [Fact]
    public async Task Ambient_credentials_can_be_allowed_by_account()
    {
        using var emulator = SqsEmulator.Require();
        await using var proxy = await SqsFaultProxy.StartAsync(emulator.ServiceUrl);
        proxy.AcceptedAccessKeys = ["AKIDAMBIENT"]; // proves the ambient key signed the request
        var name = SqsEmulator.UniqueName("account");
        var queueUrl = await emulator.CreateQueueAsync(name, proxy.BaseAddress);
        using var ambient = AmbientCredentials.Set("AKIDAMBIENT", "ambient-secret-do-not-log");
        await using var host = await SqsHosts.StartAsync(proxy.BaseAddress, sqs: o =>
        {
            o.AllowAmbientCredentials = true;
            o.AllowedQueues.Add(SqsEmulator.Account);
        });

        Assert.Equal(HttpStatusCode.Created, (await host.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl))).Status);
        var (status, problem) = await host.RegisterAsync(TestNorns.SqsRequest(Device, $"https://sqs.us-east-1.amazonaws.com/123456789012/{name}"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("notAllowed", problem.GetProperty("rule").GetString());

        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device)));
        Assert.Single(await emulator.ReceiveAsync(name, 1));
    }

    [Fact]
    public async Task A_stored_norn_whose_queue_left_the_allow_list_is_refused_at_delivery()
    {
        using var emulator = SqsEmulator.Require();
        var name = SqsEmulator.UniqueName("revoked");
        var queueUrl = await emulator.CreateQueueAsync(name);
        using var ambient = AmbientCredentials.Set("AKIDAMBIENT", "ambient-secret-do-not-log");
        using var store = new InMemoryNornStore();
        await using (var before = await SqsHosts.StartAsync(emulator.ServiceUrl, store: store, sqs: o =>
        {
            o.AllowAmbientCredentials = true;
            o.AllowedQueues.Add(SqsEmulator.Account);
        }))
        {
            var (status, _) = await before.RegisterAsync(TestNorns.SqsRequest(Device, queueUrl, failureUrl: _sink.Url("/failure"), secret: NoticeSecret));
            Assert.Equal(HttpStatusCode.Created, status);
        }

        // The operator turned ambient credentials off; the norn is still in the store.
        await using var after = await SqsHosts.StartAsync(emulator.ServiceUrl, store: store);
        using var drops = Drops(after);
        Assert.Equal(HttpStatusCode.Accepted, await after.PostEventAsync(TestEvents.DeviceStatus(Device)));

        var notice = Assert.Single(await _sink.WaitForRequestsAsync(1, "/failure"));
        await drops.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(20));
        AssertSigned(notice);
        using (var json = JsonDocument.Parse(notice.Body))
        {
            Assert.Equal("credentials_refused", json.RootElement.GetProperty("error").GetString());
        }

        Assert.Equal("failed", drops.LastMeasurement!.Tags["reason"]);
        Assert.Contains(after.Logs.GetSnapshot(), r => r.Message.Contains("refuses its ambient AWS credentials", StringComparison.Ordinal));
        Assert.Equal((0, 0, 0), await emulator.InspectAsync(name));
    }

    private static MetricCollector<long> Drops(MimisbrunnrTestHost host) =>
        new(host.Services.GetRequiredService<IMeterFactory>(), MimisbrunnrMetrics.MeterName, "mimisbrunnr.drops");

    private static void AssertSigned(RecordedRequest notice) =>
        Assert.Equal(
            "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(NoticeSecret), notice.Body)),
            notice.Header("X-Webpa-Signature"));

    private static void AssertNoSecretLogged(MimisbrunnrTestHost host, params string[] more)
    {
        foreach (var record in host.Logs.GetSnapshot())
        {
            var text = record.Message + " " + record.Exception;
            Assert.DoesNotContain(SqsEmulator.SecretAccessKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(NoticeSecret, text, StringComparison.Ordinal);
            foreach (var secret in more)
            {
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            }
        }
    }
}

/// <summary>Tests that set the process's AWS environment variables run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class AmbientCredentialsCollection
{
    public const string Name = "AWS environment variables";
}

/// <summary>Sets the AWS credential environment variables the SDK's default chain reads, and restores them.</summary>
internal sealed class AmbientCredentials : IDisposable
{
    private static readonly string[] Names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"];
    private readonly Dictionary<string, string?> _saved;

    private AmbientCredentials()
    {
        _saved = Names.ToDictionary(n => n, Environment.GetEnvironmentVariable);
    }

    public static AmbientCredentials Set(string accessKeyId, string secretAccessKey)
    {
        var saved = new AmbientCredentials();
        foreach (var name in Names)
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        // No profile file can win over the environment.
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/mimisbrunnr-tests/credentials");
        Environment.SetEnvironmentVariable("AWS_CONFIG_FILE", "/nonexistent/mimisbrunnr-tests/config");
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", accessKeyId);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", secretAccessKey);
        return saved;
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}
