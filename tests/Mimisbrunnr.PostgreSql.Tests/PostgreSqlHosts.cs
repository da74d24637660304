using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Storage;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.PostgreSql.Tests;

/// <summary>
/// Host instances on a PostgreSQL database: <see cref="MimisbrunnrTestHost"/>s with the PostgreSQL store, and the
/// calls these tests make through their API (status codes as numbers, as the scenarios are written).
/// </summary>
internal static class PostgreSqlHosts
{
    /// <summary>Starts one host instance on <paramref name="connectionString"/>.</summary>
    public static Task<MimisbrunnrTestHost> StartAsync(
        string name, string connectionString, Action<MimisbrunnrOptions>? engine = null, TimeProvider? clock = null) =>
        MimisbrunnrTestHost.StartAsync(o =>
        {
            o.Name = name;
            o.Clock = clock;
            o.Engine += engine;
            o.Mimisbrunnr += b => b.UsePostgreSqlStore(connectionString);
        });

    /// <summary>Waits (30 s at most) until both hosts listen for norn changes, so that neither misses the other's writes.</summary>
    public static Task BothListeningAsync(MimisbrunnrTestHost a, MimisbrunnrTestHost b, CancellationToken cancellationToken = default) =>
        Task.WhenAll(a.Store().WhenListeningAsync(), b.Store().WhenListeningAsync()).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

    /// <summary>The host's norn index.</summary>
    public static NornRegistry Registry(this MimisbrunnrTestHost host) => host.Services.GetRequiredService<NornRegistry>();

    /// <summary>The host's store.</summary>
    public static PostgreSqlNornStore Store(this MimisbrunnrTestHost host) => (PostgreSqlNornStore)host.Services.GetRequiredService<INornStore>();

    /// <summary>POST /norns for an HTTP destination with a secret; returns the status and the id (when the answer has one).</summary>
    public static async Task<(int Status, string? Id)> CreateAsync(
        this MimisbrunnrTestHost host, string user, string deviceId, Uri url, string secret = TestNorns.Secret)
    {
        using var response = await host.SendAsync(HttpMethod.Post, "norns", user, TestNorns.HttpRequest(deviceId, url, secret: secret).ToJson());
        var id = response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK
            ? (await response.ReadJsonAsync()).GetProperty("id").GetString()
            : null;
        return ((int)response.StatusCode, id);
    }

    /// <summary>PUT /norns/{id}; returns the status.</summary>
    public static async Task<int> UpdateAsync(this MimisbrunnrTestHost host, string user, string id, string deviceId, Uri url, string secret)
    {
        using var response = await host.SendAsync(HttpMethod.Put, $"norns/{id}", user, TestNorns.HttpRequest(deviceId, url, secret: secret).ToJson());
        return (int)response.StatusCode;
    }

    /// <summary>DELETE /norns/{id}; returns the status.</summary>
    public static async Task<int> DeleteAsync(this MimisbrunnrTestHost host, string user, string id)
    {
        using var response = await host.SendAsync(HttpMethod.Delete, $"norns/{id}", user);
        return (int)response.StatusCode;
    }

    /// <summary>POST /events with a signed event of the device; returns the status.</summary>
    public static async Task<int> PostDeviceEventAsync(this MimisbrunnrTestHost host, string deviceId, string transaction) =>
        (int)await host.PostEventAsync(TestEvents.DeviceStatus(deviceId, transaction: transaction));

    /// <summary>
    /// The X-Webpa-Signature a norn with <paramref name="secret"/> must put on <paramref name="body"/>, computed here with
    /// the BCL: the independent check of the product's signing.
    /// </summary>
    public static string ExpectedSignature(string secret, byte[] body) =>
        "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body));
}
