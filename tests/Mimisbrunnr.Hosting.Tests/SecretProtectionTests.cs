using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>Norn secrets under <c>Mimisbrunnr:SecretKeys</c>: encrypted in the SQLite file, used to sign deliveries.</summary>
public sealed class SecretProtectionTests : SinkAndDatabaseTest
{
    private const string Device = "mac:112233445566";
    private const string NornSecret = "norn-secret-7f3a9c";
    private static readonly string Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string OtherKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    [Fact]
    public async Task The_store_holds_no_secret_in_clear_and_deliveries_are_signed_with_it_only_where_the_key_is_known()
    {
        await using (var host = await StartHostAsync(o => o.Engine += e => e.SecretKeys.Add(Key)))
        {
            using var created = await host.SendAsync(
                HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest(Device, Sink.Url("/hook"), secret: NornSecret).ToJson());
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.DoesNotContain("norn-secret", await created.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

            await PostAsync(host, "txn-1");
            var delivered = (await Sink.WaitForRequestsAsync(1, "/hook")).Single();
            Assert.Equal(ExpectedSignature(delivered.Body), delivered.Header("X-Webpa-Signature"));
        }

        // What the store holds: the secret's stored form, not the secret (nor in the WAL or any other file).
        var document = await ReadDocumentAsync();
        Assert.Contains("mimi:v1:", document, StringComparison.Ordinal);
        Assert.DoesNotContain(NornSecret, document, StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(Database.Path)!))
        {
            Assert.DoesNotContain(NornSecret, Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken)), StringComparison.Ordinal);
        }

        // A host with another key cannot read the secret: it does not deliver unsigned, it does not deliver at all.
        await using (var stranger = await StartHostAsync(o => o.Engine += e => e.SecretKeys.Add(OtherKey)))
        {
            await PostAsync(stranger, "txn-2");
            await Eventually.TrueAsync(
                () => stranger.Metrics.Drops(DropReasons.Failed) == 1, () => $"the event is dropped as failed; drops: {stranger.Metrics}");
            Assert.Equal(0, stranger.Metrics.Deliveries("success"));
            Assert.Single(Sink.RequestsTo("/hook"));
        }

        // After a rotation (new key first, the old one kept) the norn is delivered again, signed as before.
        await using (var rotated = await StartHostAsync(o => o.Engine += e =>
        {
            e.SecretKeys.Add(OtherKey);
            e.SecretKeys.Add(Key);
        }))
        {
            await PostAsync(rotated, "txn-3");
            var again = (await Sink.WaitForRequestsAsync(2, "/hook"))[1];
            Assert.Equal("txn-3", again.Header("X-Webpa-Transaction-Id"));
            Assert.Equal(ExpectedSignature(again.Body), again.Header("X-Webpa-Signature"));
        }
    }

    [Fact]
    public async Task A_host_refuses_to_start_with_a_key_that_is_not_32_bytes_of_base64()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var host = await StartHostAsync(o => o.Engine += e => e.SecretKeys.Add("too-short"));
        });

        Assert.Contains("Mimisbrunnr:SecretKeys:0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_durable_store_without_keys_refuses_to_start_naming_the_key_unless_unencrypted_secrets_are_allowed()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var host = await StartHostAsync(o => o.Engine += e => e.AllowUnencryptedSecrets = false);
        });
        await using var allowed = await StartHostAsync(o => o.Engine += e => e.AllowUnencryptedSecrets = true);
        await using var inMemory = await MimisbrunnrTestHost.StartAsync(o => o.Engine += e => e.AllowUnencryptedSecrets = false);

        Assert.Contains("Mimisbrunnr:SecretKeys", error.Message, StringComparison.Ordinal);
        Assert.Contains("Mimisbrunnr:AllowUnencryptedSecrets", error.Message, StringComparison.Ordinal);
        using var created = await allowed.SendAsync(
            HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest(Device, Sink.Url("/hook"), secret: NornSecret).ToJson());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Contains(NornSecret, await ReadDocumentAsync(), StringComparison.Ordinal); // as asked: kept as given
    }

    private static async Task PostAsync(MimisbrunnrTestHost host, string transaction) =>
        Assert.Equal(HttpStatusCode.Accepted, await host.PostEventAsync(TestEvents.DeviceStatus(Device, transaction: transaction)));

    /// <summary>The X-Webpa-Signature the norn's secret gives a delivery, computed here with the BCL.</summary>
    private static string ExpectedSignature(byte[] body) =>
        "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(NornSecret), body));

    private async Task<string> ReadDocumentAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Database.Path};Mode=ReadOnly");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(document, '|') FROM norns;";
        return (string)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
