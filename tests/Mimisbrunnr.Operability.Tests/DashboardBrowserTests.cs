using System.Net;
using Microsoft.Playwright;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>The operator dashboard of the sample server in a real headless Chromium.</summary>
public sealed class DashboardBrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_dashboard_shows_traffic_in_numbers_and_chart_and_a_norn_that_gets_cut_off()
    {
        Chromium.Executable(); // skip (or fail under test.sh) before starting anything
        await using var sink = await SinkServer.StartAsync(Ct);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sink.SetDefault("/slow", SinkResponse.HeldUntil(release.Task));
        sink.SetDefault("/down", SinkResponse.WithStatus(500));
        await using var server = await SampleServer.StartAsync(
            "--Mimisbrunnr:InstanceName=dashboard-demo",
            "--Mimisbrunnr:Delivery:QueueSize=2",
            "--Mimisbrunnr:Delivery:CutOffPeriod=00:10:00");
        await RegisterAsync(server, "mac:112233445566", sink.Url("/fast"));
        await RegisterAsync(server, "mac:665544332211", sink.Url("/slow"));
        await RegisterAsync(server, "mac:a1b2c3d4e5f6", sink.Url("/down"));

        var (playwright, context, profile) = await Chromium.LaunchAsync(SampleServer.User, SampleServer.Password);
        try
        {
            var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
            var response = await page.GotoAsync(new Uri(server.BaseAddress, "dashboard").ToString());
            Assert.Equal((int)HttpStatusCode.OK, response!.Status);
            var expect = Assertions.Expect(page.Locator("#instance"));
            await expect.ToHaveTextAsync("dashboard-demo", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("#norns-registered")).ToHaveTextAsync("3");
            var quietChart = await page.Locator("#events-line").GetAttributeAsync("points");

            // Traffic (one event at a time: the buffers hold two): the numbers follow, the events line leaves the baseline.
            for (var i = 0; i < 12; i++)
            {
                await server.PostEventAsync(TestEvents.DeviceStatus("mac:112233445566", transaction: $"fast-{i}"));
                await sink.WaitForRequestsAsync(i + 1, "/fast");
            }

            await Assertions.Expect(page.Locator("#events-total")).ToHaveTextAsync("12", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("#deliveries-total")).ToHaveTextAsync("12", new() { Timeout = 30_000 });
            await page.WaitForFunctionAsync(
                "() => document.getElementById('events-line').getAttribute('points').split(' ').some(p => parseFloat(p.split(',')[1]) < 150)",
                null,
                new() { Timeout = 30_000 });
            Assert.NotEqual(quietChart, await page.Locator("#events-line").GetAttributeAsync("points"));
            await Assertions.Expect(page.Locator("#norns tbody tr")).ToHaveCountAsync(1);

            // A consumer that answers 500: after its retries the norn is failing, with its last failure.
            await server.PostEventAsync(TestEvents.DeviceStatus("mac:a1b2c3d4e5f6", transaction: "down-0"));
            var failing = page.Locator("#norns tbody tr[data-state='failing']");
            await Assertions.Expect(failing).ToHaveCountAsync(1, new() { Timeout = 30_000 });
            await Assertions.Expect(failing.Locator(".last-failure")).ToContainTextAsync("500");
            await Assertions.Expect(page.Locator("#norns-failing")).ToHaveTextAsync("1");
            await Assertions.Expect(page.Locator("#failures-total")).ToHaveTextAsync("1");

            // A consumer that holds every request: one event in flight, two buffered (bytes show), then the overflow.
            await server.PostEventAsync(TestEvents.DeviceStatus("mac:665544332211", transaction: "slow-0"));
            await sink.WaitForRequestsAsync(1, "/slow");
            await server.PostEventAsync(TestEvents.DeviceStatus("mac:665544332211", transaction: "slow-1"));
            await server.PostEventAsync(TestEvents.DeviceStatus("mac:665544332211", transaction: "slow-2"));
            await Assertions.Expect(page.Locator("#buffered-events")).ToHaveTextAsync("2", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("#buffered-bytes")).Not.ToHaveTextAsync("0 B");
            await server.PostEventAsync(TestEvents.DeviceStatus("mac:665544332211", transaction: "slow-3"));
            await server.PostEventAsync(TestEvents.DeviceStatus("mac:665544332211", transaction: "slow-4"));

            var cutOff = page.Locator("#norns tbody tr[data-state='cutOff']");
            await Assertions.Expect(cutOff).ToHaveCountAsync(1, new() { Timeout = 30_000 });
            await Assertions.Expect(cutOff.Locator(".state")).ToContainTextAsync("cut off until");
            await Assertions.Expect(page.Locator("#norns-cutoff")).ToHaveTextAsync("1");
            await Assertions.Expect(page.Locator("#cutoffs-total")).ToHaveTextAsync("1");
            await Assertions.Expect(page.Locator("#drops tr[data-reason='queue_full'] td.num")).ToHaveTextAsync("3");
            await Assertions.Expect(page.Locator("#drops tr[data-reason='cut_off'] td.num")).ToHaveTextAsync("1");
            await Assertions.Expect(page.Locator("#buffered-bytes")).ToHaveTextAsync("0 B");
            await Assertions.Expect(page.Locator("#norns tbody tr")).ToHaveCountAsync(3);
            await Assertions.Expect(page.Locator("#norns tbody tr").Nth(0)).ToHaveAttributeAsync("data-state", "cutOff"); // worst first
            await Assertions.Expect(page.Locator("#norns tbody tr").Nth(1)).ToHaveAttributeAsync("data-state", "failing");
            await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync(string.Empty);

            var screenshot = Path.Combine(AppContext.BaseDirectory, "dashboard.png");
            await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
            Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is empty");
            TestContext.Current.AddAttachment("dashboard.png", await File.ReadAllBytesAsync(screenshot, Ct), "image/png");
        }
        finally
        {
            release.TrySetResult();
            await context.DisposeAsync();
            playwright.Dispose();
            Directory.Delete(profile, recursive: true);
        }
    }

    private static async Task RegisterAsync(SampleServer server, string device, Uri url)
    {
        using var created = await server.CreateNornAsync(device, url);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }
}
