using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>
/// Two hostile owners with a thousand norns on the devices of a well-behaved owner: mallory's point at a server that
/// accepts connections and never answers, eve's at a host name whose lookups hang. The well-behaved owner's norn keeps
/// receiving every event, in order and soon, while mallory runs into her byte budget and send cap and eve's lookups are
/// cut short.
/// </summary>
public sealed class HostileTenantTests : SinkAndDatabaseTest
{
    private const int Devices = 20;
    private const int NornsPerDevice = 50; // per device: 25 of each hostile owner
    private const int Rounds = 30;

    [Fact]
    public async Task A_well_behaved_owner_receives_every_event_while_a_hostile_owner_floods_its_budgets()
    {
        using var blackHole = new TcpListener(IPAddress.Loopback, 0);
        blackHole.Start(1_000); // accepts connections (the kernel does) and never answers
        var blackHoleUrl = $"http://127.0.0.1:{((IPEndPoint)blackHole.LocalEndpoint).Port}";
        var hungLookups = new TaskCompletionSource<IPAddress[]>(TaskCreationOptions.RunContinuationsAsynchronously);

        await using var host = await StartHostAsync(h =>
        {
            h.Engine = o =>
            {
                o.Delivery.MaxBufferedBytesPerOwner = 64 * 1024;
                o.Delivery.MaxConcurrentSendsPerOwner = 16;
                o.Delivery.Timeout = TimeSpan.FromSeconds(30);
                o.Delivery.Retries = 0;
                o.Destinations.DnsTimeout = TimeSpan.FromMilliseconds(200);
                o.Destinations.MaxConcurrentDnsLookups = 4;
                o.Quotas.MaxNornsPerDevice = NornsPerDevice / 2;
            };
            h.Services = s => s.AddSingleton(sp => new HostResolver(
                sp.GetRequiredService<IOptionsMonitor<MimisbrunnrOptions>>(),
                sp.GetRequiredService<MimisbrunnrMetrics>(),
                (host, ct) => host == "slow-dns.test" ? hungLookups.Task : Dns.GetHostAddressesAsync(host, ct)));
        });

        var good = await RegisterAsync(host, "alice", Device(0), Sink.Url("/alice"));
        Assert.Equal(HttpStatusCode.Created, good);
        var registrations = Enumerable.Range(0, Devices * NornsPerDevice).Select(i =>
        {
            // Two hostile owners, so that the black hole's sends (holding mallory's send slots) do not keep eve's
            // sends, and with them her hung lookups, from starting.
            var (owner, url) = i / Devices % 2 == 0 ? ("mallory", $"{blackHoleUrl}/hook/{i}") : ("eve", $"http://slow-dns.test/hook/{i}");
            return (Owner: owner, Device: Device(i % Devices), Url: new Uri(url));
        });
        await Parallel.ForEachAsync(registrations, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (r, _) =>
            Assert.Equal(HttpStatusCode.Created, await RegisterAsync(host, r.Owner, r.Device, r.Url)));

        var posted = new Dictionary<string, DateTimeOffset>();
        for (var round = 0; round < Rounds; round++)
        {
            for (var d = 0; d < Devices; d++)
            {
                var transaction = string.Create(CultureInfo.InvariantCulture, $"r{round:D2}-d{d:D2}");
                using var response = await host.PostEventAsync(WrpMsgPack.Encode(Event(Device(d), transaction)));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                if (d == 0)
                {
                    posted[transaction] = DateTimeOffset.UtcNow;
                }
            }
        }

        var received = await Sink.WaitForRequestsAsync(Rounds, "/alice", TimeSpan.FromSeconds(60));
        var transactions = received.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("transaction_uuid").GetString()!).ToList();
        Assert.Equal(posted.Keys, transactions); // every event, in order
        var slowest = received.Max(r => r.ReceivedAt - posted[JsonDocument.Parse(r.Body).RootElement.GetProperty("transaction_uuid").GetString()!]);
        Assert.True(slowest < TimeSpan.FromSeconds(10), $"the slowest of alice's events took {slowest}");

        var pool = host.Services.GetRequiredService<NornDispatcherPool>();
        Assert.True(host.Metrics.Drops(DropReasons.OwnerBudget) > 0, "mallory ran into her byte budget: " + host.Metrics);

        Assert.InRange(pool.Budgets.For("mallory").BufferedBytes, 0, 64 * 1024);
        Assert.InRange(pool.Budgets.For("mallory").Sends.CurrentCount, 0, 16);
        // Eve's workers may not have met their hung lookups yet when alice's last event arrives (a fast run): the
        // first lookup gives up 200 ms after it starts.
        await Eventually.TrueAsync(
            () => host.Metrics.Sum("mimisbrunnr.dns.lookups", "outcome", "timeout") + host.Metrics.Sum("mimisbrunnr.dns.lookups", "outcome", "busy") > 0,
            () => "the hung lookups were cut short: timeout=" + host.Metrics.Sum("mimisbrunnr.dns.lookups", "outcome", "timeout")
                + ", busy=" + host.Metrics.Sum("mimisbrunnr.dns.lookups", "outcome", "busy"),
            TimeSpan.FromSeconds(20));

        hungLookups.SetResult([]); // let the hung lookups end before the host stops
    }

    private static string Device(int i) => TestNorns.Mac(0x100000000000L + i);

    private static WrpMessage Event(string device, string transaction) => new()
    {
        Type = MessageType.SimpleEvent,
        Source = $"{device}/parodus",
        Destination = $"event:device-status/{device}/online",
        TransactionUuid = transaction,
        PartnerIds = ["comcast"],
        Payload = new byte[256],
    };

    private static async Task<HttpStatusCode> RegisterAsync(MimisbrunnrTestHost host, string user, string device, Uri url) =>
        (await host.CreateNornAsync(user, TestNorns.HttpRequest(device, url, secret: TestNorns.Secret))).Status;
}
