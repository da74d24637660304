using System.Net;
using System.Security.Cryptography;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.PostgreSql.Tests;

/// <summary>Two hosts with the same <c>Mimisbrunnr:SecretKeys</c> on one database: secrets are encrypted in it.</summary>
public sealed class SecretProtectionTests
{
    [Fact]
    public async Task A_secret_written_through_one_host_is_encrypted_in_the_database_and_signs_the_other_hosts_deliveries()
    {
        PostgreSqlServer.Require();
        var ct = TestContext.Current.CancellationToken;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var database = await TestDatabase.CreateAsync(ct);
        await using var sink = await SinkServer.StartAsync(ct);
        await using var a = await PostgreSqlHosts.StartAsync("A", database.ConnectionString, o => o.SecretKeys.Add(key));
        await using var b = await PostgreSqlHosts.StartAsync("B", database.ConnectionString, o => o.SecretKeys.Add(key));
        await PostgreSqlHosts.BothListeningAsync(a, b, ct);
        const string Device = "mac:f10000000001";
        const string Secret = "pg-norn-secret-5d1e";

        var (status, id) = await a.CreateNornAsync("alice", TestNorns.HttpRequest(Device, sink.Url("/signed"), secret: Secret));
        Assert.Equal(HttpStatusCode.Created, status);
        var document = (string)(await database.ScalarAsync($"SELECT document::text FROM mimisbrunnr.norns WHERE id = '{id}';", ct))!;
        Assert.Contains("mimi:v1:", document, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, document, StringComparison.Ordinal);

        await Eventually.TrueAsync(() => b.Registry.Find(id!) is not null, "B knows the norn", TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.Accepted, await b.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: "through-b")));
        var delivered = Assert.Single(await sink.WaitForRequestsAsync(1, "/signed", TimeSpan.FromSeconds(5)));
        Assert.Equal(PostgreSqlHosts.ExpectedSignature(Secret, delivered.Body), delivered.Header("X-Webpa-Signature"));
    }
}
