using System.Text.Json;
using Mimisbrunnr.Wrp;

namespace Mimisbrunnr.Tests.Wrp;

/// <summary>Locators and device ids against wrp-go's <c>ParseLocator</c>/<c>ParseDeviceID</c> (locators.json, SPEC.md §5).</summary>
public class LocatorTests
{
    private static readonly JsonElement[] Cases = SharedVectors.Load("locators.json") is { } root ? [.. root.EnumerateArray()] : [];

    public static TheoryData<int> SharedCases
    {
        get
        {
            var data = new TheoryData<int>();
            for (var i = 0; i < Cases.Length; i++)
            {
                data.Add(i);
            }

            if (Cases.Length == 0)
            {
                data.Add(-1);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(SharedCases))]
    public void Locator_parses_as_wrp_go_parses_it(int index)
    {
        var entry = Case(index);
        var input = entry.GetProperty("input").GetString()!;
        var expected = entry.GetProperty("parse_locator").GetString()!;

        var parsed = Locator.TryParse(input, out var locator, out var error);

        if (expected != "ok")
        {
            Assert.False(parsed, $"{input} parsed as {locator}");
            Assert.NotNull(error);
            Assert.StartsWith(GoError(expected), error, StringComparison.Ordinal);
            Assert.False(Locator.IsParsable(input, out _));
            Assert.Throws<FormatException>(() => Locator.Parse(input));
            return;
        }

        Assert.True(parsed, error);
        Assert.NotNull(locator);
        Assert.True(Locator.IsParsable(input, out _));
        Assert.Equal(entry.GetProperty("scheme").GetString(), locator.Scheme);
        Assert.Equal(entry.GetProperty("authority").GetString(), locator.Authority);
        Assert.Equal(entry.GetProperty("service").GetString(), locator.Service);
        Assert.Equal(entry.GetProperty("ignored").GetString(), locator.Ignored);
        Assert.Equal(entry.GetProperty("locator_id").GetString(), locator.Id);
        Assert.Equal(entry.GetProperty("string").GetString(), locator.ToString());
        Assert.Equal(entry.GetProperty("locator_validate").GetString() == "ok", locator.IsStrictlyValid());
    }

    [Theory]
    [MemberData(nameof(SharedCases))]
    public void Device_id_parses_as_wrp_go_parses_it(int index)
    {
        var entry = Case(index);
        var input = entry.GetProperty("input").GetString()!;
        var expected = entry.GetProperty("parse_device_id").GetString()!;

        var parsed = DeviceId.TryParse(input, out var id, out var error);

        if (expected != "ok")
        {
            Assert.False(parsed, $"{input} parsed as {id}");
            Assert.Equal(GoError(expected), error);
            return;
        }

        Assert.True(parsed, error);
        Assert.Equal(entry.GetProperty("device_id").GetString(), id.ToString());
        Assert.Equal(id, DeviceId.Parse(input));
    }

    [Theory]
    [InlineData("mac:11-aa-BB-44-55-66/service/foo/bar", "mac", "11aabb445566", "service", "/foo/bar", "mac:11aabb445566")]
    [InlineData("event:device-status/mac:112233445566/online", "event", "device-status", "", "/mac:112233445566/online", "")]
    [InlineData("dns:talaria.example.com:8080/api", "dns", "talaria.example.com:8080", "", "/api", "")]
    [InlineData("MAC:11:22:33:44:55:66", "mac", "112233445566", "", "", "mac:112233445566")]
    [InlineData("uuid:anything Goes!", "uuid", "anything Goes!", "", "", "uuid:anything Goes!")]
    [InlineData("self:/svc/x", "self", "", "svc", "/x", "self:")]
    [InlineData("self:", "self", "", "", "", "self:")]
    [InlineData(" serial:  ABC  /svc", "serial", "ABC", "svc", "", "serial:ABC")]
    [InlineData("mac:112233445566//x", "mac", "112233445566", "", "/x", "mac:112233445566")]
    public void Locator_splits_scheme_authority_service_and_ignored(
        string input, string scheme, string authority, string service, string ignored, string id)
    {
        var locator = Locator.Parse(input);

        Assert.Equal(scheme, locator.Scheme);
        Assert.Equal(authority, locator.Authority);
        Assert.Equal(service, locator.Service);
        Assert.Equal(ignored, locator.Ignored);
        Assert.Equal(id, locator.Id);
        Assert.True(locator.IsStrictlyValid());
    }

    [Theory]
    [InlineData("", "invalid locator: invalid device name: empty device ID")]
    [InlineData("  \t", "invalid locator: invalid device name: empty device ID")]
    [InlineData("invalid:random stuff", "invalid locator: invalid device name: unknown or missing scheme")]
    [InlineData(":", "invalid locator: invalid device name: unknown or missing scheme")]
    [InlineData("selfie:x", "invalid locator: invalid device name: unknown or missing scheme")]
    [InlineData("\u017Felf:", "invalid locator: invalid device name: unknown or missing scheme")] // only ASCII folds
    [InlineData("uu\u0131d:x", "invalid locator: invalid device name: unknown or missing scheme")]
    [InlineData("event:/anything", "invalid locator: invalid device name: missing authority in device ID")]
    [InlineData("mac:11223344556w", "invalid locator: invalid device name: invalid character `w` in MAC address")]
    [InlineData("mac:11:22:33:44:55:66:77", "invalid locator: invalid device name: invalid MAC address length")]
    [InlineData("self:anything", "invalid locator")]
    public void Locator_rejects_with_wrp_go_reason(string input, string reason)
    {
        Assert.False(Locator.TryParse(input, out _, out var error));
        Assert.StartsWith(reason, error, StringComparison.Ordinal);
        Assert.False(Locator.IsParsable(input, out var checkError));
        Assert.Equal(error, checkError);
    }

    [Fact]
    public void Locator_string_form_is_lossy_where_wrp_go_is()
    {
        // SPEC.md §5: "mac:x/" and "mac:x//y" do not round-trip through String().
        Assert.Equal("mac:112233445566", Locator.Parse("mac:112233445566/").ToString());
        Assert.Equal("mac:112233445566/y", Locator.Parse("mac:112233445566//y").ToString());
    }

    [Fact]
    public void Checking_a_valid_locator_allocates_nothing()
    {
        Assert.True(Locator.IsParsable("MAC:11:22:33:44:55:66/service-name/ignored/12344", out _));

        Assert.Equal(0, Allocations.SteadyState(() =>
        {
            Locator.IsParsable("MAC:11:22:33:44:55:66/service-name/ignored/12344", out _);
            Locator.IsParsable("event:device-status/mac:112233445566/online", out _);
            Locator.IsParsable("self:/svc", out _);
        }));
    }

    private static JsonElement Case(int index)
    {
        if (index < 0)
        {
            Assert.Skip(SharedVectors.MissingReason);
        }

        return Cases[index];
    }

    // "error: invalid locator\ninvalid device name: x" (errors.Join) reads "invalid locator: invalid device name: x" here.
    private static string GoError(string outcome) => outcome["error: ".Length..].Replace("\n", ": ", StringComparison.Ordinal);
}

/// <summary>Measures managed allocations of code once the JIT has settled.</summary>
internal static class Allocations
{
    /// <summary>
    /// Runs <paramref name="action"/> until tiered compilation has had its chance, then returns the fewest bytes any
    /// of several rounds of 100 calls allocated (the runtime itself may allocate on the thread while it re-JITs).
    /// </summary>
    public static long SteadyState(Action action)
    {
        for (var i = 0; i < 1_000; i++)
        {
            action();
        }

        var fewest = long.MaxValue;
        for (var round = 0; round < 20 && fewest > 0; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                action();
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            if (fewest > 0)
            {
                Thread.Sleep(20);
            }
        }

        return fewest;
    }
}
