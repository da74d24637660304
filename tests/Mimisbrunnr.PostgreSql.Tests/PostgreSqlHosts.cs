using System.Security.Cryptography;
using System.Text;
using Mimisbrunnr.DependencyInjection;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.PostgreSql.Tests;

/// <summary>Host instances on a PostgreSQL database: <see cref="MimisbrunnrTestHost"/>s with the PostgreSQL store.</summary>
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

    /// <summary>The host's store, which is a PostgreSQL store.</summary>
    public static PostgreSqlNornStore PgStore(this MimisbrunnrTestHost host) => (PostgreSqlNornStore)host.Store;

    /// <summary>Waits (30 s at most) until both hosts listen for norn changes, so that neither misses the other's writes.</summary>
    public static Task BothListeningAsync(MimisbrunnrTestHost a, MimisbrunnrTestHost b, CancellationToken cancellationToken = default) =>
        Task.WhenAll(a.PgStore().WhenListeningAsync(), b.PgStore().WhenListeningAsync()).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

    /// <summary>
    /// The X-Webpa-Signature a norn with <paramref name="secret"/> must put on <paramref name="body"/>, computed here with
    /// the BCL: the independent check of the product's signing.
    /// </summary>
    public static string ExpectedSignature(string secret, byte[] body) =>
        "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body));
}
