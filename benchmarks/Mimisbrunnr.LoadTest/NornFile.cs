using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Sqlite;
using Mimisbrunnr.Storage;

namespace Mimisbrunnr.LoadTest;

/// <summary>
/// Fills a SQLite norn file for the scale probe through the store's public API (<see cref="SqliteNornStore.UpsertAsync"/>
/// with <see cref="NornQuotas.Unlimited"/>), several writers at once, before a server is started on it: registering
/// a million norns through <c>POST /norns</c> would take too long, and writing rows directly would bind the tool to
/// the schema.
/// </summary>
internal static class NornFile
{
    private const int Writers = 4;

    /// <summary>Writes <paramref name="count"/> norns, one per device; returns norns written per second.</summary>
    public static async Task<double> FillAsync(string path, int count, TextWriter progress, CancellationToken cancellationToken)
    {
        await using var store = new SqliteNornStore($"Data Source={path}");
        await store.InitializeAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;

        // In id order: the table is clustered on the id (a SHA-256), so random order would turn every insert into a
        // random page write that SQLite's small page cache misses, and the fill would slow down as the file grows.
        var order = Enumerable.Range(0, count).Select(i => (Id: Id(i), Number: i)).OrderBy(n => n.Id, StringComparer.Ordinal).Select(n => n.Number).ToArray();
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        var reportEvery = Math.Max(count / 10, 1);
        var writers = Enumerable.Range(0, Writers).Select(_ => Task.Run(
            async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    var result = await store.UpsertAsync(Make(order[i], now), NornQuotas.Unlimited, cancellationToken);
                    if (result.Status != NornWriteStatus.Created)
                    {
                        throw new InvalidOperationException($"Norn {i} was not created: {result.Status}.");
                    }

                    if ((i + 1) % reportEvery == 0)
                    {
                        var rate = (i + 1) / Stopwatch.GetElapsedTime(started).TotalSeconds;
                        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {i + 1:N0} norns written ({rate:N0}/s)"));
                    }
                }
            },
            cancellationToken));
        await Task.WhenAll(writers);
        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>
    /// Norn <paramref name="i"/>: its own device, an https destination with a path of its own, a 32-character secret
    /// (stored as given: the store does not encrypt, the server's keys still read it), 1,000 owners, 23 hours to live.
    /// </summary>
    private static Norn Make(int i, DateTimeOffset now) => new()
    {
        Id = Id(i),
        DeviceId = DeviceId(i),
        Owner = string.Create(CultureInfo.InvariantCulture, $"owner-{i % 1000}"),
        Destination = new NornDestination
        {
            Http = new HttpDestination
            {
                Url = Url(i),
                Secret = string.Create(CultureInfo.InvariantCulture, $"secret-{i:x8}-0123456789abcdef"),
                ContentType = DeliveryContentTypes.Json,
            },
        },
        ExpiresAt = now.AddHours(23),
        CreatedAt = now,
        UpdatedAt = now,
    };

    private static string DeviceId(int i) => Events.DeviceId(Events.Devices.ScaleNorns, i);

    private static string Url(int i) =>
        string.Create(CultureInfo.InvariantCulture, $"https://consumer-{i % 100}.example.com/webhooks/mimisbrunnr/{i}");

    /// <summary>The documented derivation: lowercase hex SHA-256 of the canonical device id, "\n", the destination URL.</summary>
    private static string Id(int i) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(DeviceId(i) + "\n" + Url(i))));
}
