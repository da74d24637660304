using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mimisbrunnr.Delivery;
using Mimisbrunnr.Dispatch;
using Mimisbrunnr.Norns;
using Mimisbrunnr.Testing;
using Mimisbrunnr.Tests.Dispatch;

namespace Mimisbrunnr.Tests.Delivery;

public sealed class SignatureAndMessageTests
{
    [Fact]
    public void Webpa_signature_is_sha1_hex_of_the_body()
    {
        var body = "{\"a\":1}"u8.ToArray();
        var expected = "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData("k"u8, body));

        Assert.Equal(expected, DeliverySignatures.ComputeWebpaSignature("k", body));
        Assert.Matches("^sha1=[0-9a-f]{40}$", expected);
    }

    [Fact]
    public void Standard_Webhooks_signature_matches_the_specifications_example()
    {
        // The example of the Standard Webhooks specification and its reference libraries.
        var signature = DeliverySignatures.ComputeStandardWebhooksSignature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}"u8);

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void A_plain_secret_is_its_UTF8_bytes_and_a_malformed_whsec_secret_too()
    {
        Assert.Equal("plain"u8.ToArray(), DeliverySignatures.GetStandardWebhooksKey("plain"));
        Assert.Equal(Encoding.UTF8.GetBytes("whsec_not base64!"), DeliverySignatures.GetStandardWebhooksKey("whsec_not base64!"));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(10_000, "10s")]
    [InlineData(90_000, "1m30s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(5_400_500, "1h30m0.5s")]
    [InlineData(1_500, "1.5s")]
    [InlineData(250, "250ms")]
    [InlineData(300_000, "5m0s")]
    public void Cut_off_periods_are_written_as_Go_durations(int milliseconds, string expected) =>
        Assert.Equal(expected, CutOffMessage.FormatGoDuration(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public void Sub_millisecond_durations_use_Go_units()
    {
        Assert.Equal("1.5µs", CutOffMessage.FormatGoDuration(TimeSpan.FromTicks(15)));
        Assert.Equal("100ns", CutOffMessage.FormatGoDuration(TimeSpan.FromTicks(1)));
    }

    [Fact]
    public void The_cut_off_message_carries_the_norn_without_its_secret()
    {
        var norn = TestNorns.Http(TestData.Device, "https://consumer.example/hook", secret: "do-not-leak", failureUrl: "https://consumer.example/cutoff") with
        {
            Filter = new NornFilter
            {
                Events = ["^device-status/.*/online$"],
                Metadata = new Dictionary<string, string> { ["/trust"] = "1000" },
            },
        };

        var body = CutOffMessage.Serialize(norn, new CutOffNotice(TimeSpan.FromSeconds(10), TestNorns.T0, 1_000, 2));

        var text = Encoding.UTF8.GetString(body);
        Assert.DoesNotContain("do-not-leak", text, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal(
            ["text", "norn", "cut_off_period", "queue_size", "worker_count"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("10s", root.GetProperty("cut_off_period").GetString());
        Assert.Equal(1_000, root.GetProperty("queue_size").GetInt32());
        Assert.Equal(2, root.GetProperty("worker_count").GetInt32());
        var view = root.GetProperty("norn");
        Assert.Equal(norn.Id, view.GetProperty("id").GetString());
        Assert.Equal("https://consumer.example/cutoff", view.GetProperty("destination").GetProperty("http").GetProperty("failureUrl").GetString());
        Assert.True(view.GetProperty("destination").GetProperty("http").GetProperty("hasSecret").GetBoolean());
        Assert.Equal("^device-status/.*/online$", view.GetProperty("filter").GetProperty("events")[0].GetString());
        Assert.Equal("1000", view.GetProperty("filter").GetProperty("metadata").GetProperty("/trust").GetString());
    }
}
