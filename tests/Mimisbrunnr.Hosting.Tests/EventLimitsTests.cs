using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Testing.Http;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Hosting.Tests;

/// <summary>/events takes bodies up to its configured limit, whatever the server's buffers, and refuses larger ones early.</summary>
public sealed class EventLimitsTests : SinkAndDatabaseTest
{
    private const int TwoMiB = 2 * 1024 * 1024;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_two_mebibyte_event_is_accepted_and_delivered_when_the_limit_allows_it(bool chunked)
    {
        await using var host = await StartHostAsync(o => o.Events += e => e.MaxBodyBytes = 4 * 1024 * 1024);
        using var created = await host.SendAsync(HttpMethod.Post, "norns", "alice", TestNorns.HttpRequest("mac:112233445566", Sink.Url("/big"), secret: TestNorns.Secret, contentType: "application/msgpack").ToJson());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var message = Event(TwoMiB);
        var body = WrpMsgPack.Encode(message);
        Assert.True(body.Length > TwoMiB);

        using var response = await PostAsync(host, body, chunked);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(body, Assert.Single(await Sink.WaitForRequestsAsync(1, "/big")).Body);
    }

    [Fact]
    public async Task A_limit_above_the_servers_own_body_cap_is_honoured()
    {
        // Kestrel refuses bodies over 30,000,000 bytes unless told otherwise; a host allowing more must get them.
        await using var host = await StartHostAsync(o => o.Events += e => e.MaxBodyBytes = 40 * 1024 * 1024);

        using var response = await PostAsync(host, WrpMsgPack.Encode(Event(31 * 1000 * 1000)), chunked: true);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_over_the_limit_is_answered_413(bool chunked)
    {
        await using var host = await StartHostAsync(o => o.Events += e => e.MaxBodyBytes = 1024 * 1024);

        using var response = await PostAsync(host, WrpMsgPack.Encode(Event(TwoMiB)), chunked);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_fallback_policy_of_the_host_does_not_refuse_caduceus()
    {
        await using var host = await StartHostAsync(o => o.Services += s => s.AddAuthorization(a =>
            a.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build()));

        using var events = await PostAsync(host, WrpMsgPack.Encode(Event(16)), chunked: false);
        using var anonymous = await host.SendAsync(HttpMethod.Get, "norns", user: null);

        Assert.Equal(HttpStatusCode.Accepted, events.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    private static WrpMessage Event(int payloadBytes) => TestEvents.DeviceStatus(
        "mac:112233445566", transaction: "t-big", contentType: "application/octet-stream", payload: new string('x', payloadBytes));

    private static Task<HttpResponseMessage> PostAsync(MimisbrunnrTestHost host, byte[] body, bool chunked)
    {
        HttpContent content = chunked ? new StreamContent(new NonSeekableStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/msgpack");
        var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = content };
        EventSigning.SignEvent(request, MimisbrunnrTestHost.EventsSecret, body);
        return host.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>A stream of unknown length, so that the client sends the body chunked, without Content-Length.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
