using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Mimisbrunnr.Diagnostics;
using Mimisbrunnr.Hosting;
using Mimisbrunnr.Testing.Http;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>
/// Caduceus's own cut-off notice at <c>POST /webhook/cutoff</c>: signed like events, logged, counted, and answered by
/// registering again at once. A fake Caduceus (Kestrel) receives the registrations.
/// </summary>
public sealed class CaduceusCutOffTests
{
    // Caduceus's failure message (PROTOCOL.md §3), signed with the registration secret.
    private static readonly byte[] Notice = Encoding.UTF8.GetBytes(
        """{"text":"Unfortunately, your endpoint is not able to keep up with the traffic being sent to it.","webhook_registration":{"config":{"url":"https://mimisbrunnr.example/events","secret":"XxxxxX"}},"cut_off_period":"10s","queue_size":10000,"worker_count":5000}""");

    [Fact]
    public async Task A_signed_cut_off_notice_renews_the_registration_at_once_and_an_unsigned_one_is_refused()
    {
        await using var caduceus = await SinkServer.StartAsync(TestContext.Current.CancellationToken);
        await using var host = await MimisbrunnrTestHost.StartAsync(o => o.Mimisbrunnr = builder => builder.AddWebhookRegistration(options =>
        {
            options.RegistrationUrl = caduceus.Url("/hook");
            options.AllowInsecure = true; // the fake Caduceus listens on http://127.0.0.1
            options.PublicUrl = new Uri("https://mimisbrunnr.example/events");
            options.FailureUrl = new Uri("https://mimisbrunnr.example/webhook/cutoff");
            options.Interval = TimeSpan.FromHours(1); // a second registration can only come from the notice
            options.Duration = TimeSpan.FromHours(2);
        }));
        using var notices = new MetricCollector<long>(
            host.Services.GetRequiredService<IMeterFactory>(), MimisbrunnrTelemetry.MeterName, "mimisbrunnr.caduceus.cutoffs");
        await caduceus.WaitForRequestsAsync(1, "/hook");

        using (var unsigned = await host.Client.SendAsync(CutOffNotice(secret: null), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
            Assert.Equal("application/problem+json", unsigned.Content.Headers.ContentType?.MediaType);
        }

        using (var forged = await host.Client.SendAsync(CutOffNotice("not-the-secret"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        }

        using (var signed = await host.Client.SendAsync(CutOffNotice(MimisbrunnrTestHost.EventsSecret), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, signed.StatusCode);
        }

        var registrations = await caduceus.WaitForRequestsAsync(2, "/hook");
        Assert.Equal(registrations[0].Body, registrations[1].Body); // the same registration, renewed
        Assert.Equal(
            [("bad_signature", 2L), ("accepted", 1L)],
            notices.GetMeasurementSnapshot()
                .GroupBy(m => (string)m.Tags["outcome"]!)
                .Select(g => (g.Key, g.Sum(m => m.Value)))
                .OrderBy(p => p.Key == "accepted"));
    }

    [Fact]
    public async Task Without_webhook_registration_there_is_no_cut_off_endpoint()
    {
        await using var host = await MimisbrunnrTestHost.StartAsync();

        using var response = await host.Client.SendAsync(
            CutOffNotice(MimisbrunnrTestHost.EventsSecret), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary><c>POST /webhook/cutoff</c> of <see cref="Notice"/>, signed like an event (unsigned when the secret is null).</summary>
    private static HttpRequestMessage CutOffNotice(string? secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "webhook/cutoff") { Content = new ByteArrayContent(Notice) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (secret is not null)
        {
            EventSigning.SignEvent(request, secret, Notice);
        }

        return request;
    }
}
