using Mimisbrunnr.Norns;
using Mimisbrunnr.Registry;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Tests.Registry;

public class EventFilterTests
{
    private static RegisteredNorn With(NornFilter? filter) =>
        new(TestNorns.Http("mac:112233445566", "https://a.example/", filter: filter));

    private static readonly Dictionary<string, string> Trusted = new() { ["/trust"] = "1000", ["/fw"] = "2.1" };

    [Fact]
    public void No_filter_or_an_empty_filter_lets_every_event_through()
    {
        Assert.True(With(null).Matches("anything", null));
        Assert.True(With(new NornFilter()).Matches("anything", null));
        Assert.True(With(new NornFilter { Events = [], Metadata = new Dictionary<string, string>() }).Matches("x", null));
        Assert.Null(EventFilter.Compile(new NornFilter { Events = [] }));
    }

    [Fact]
    public void Any_event_regex_may_match_unanchored()
    {
        var norn = With(new NornFilter { Events = ["^device-status/.*/online$", "reboot"] });

        Assert.True(norn.Matches("device-status/mac:112233445566/online", null));
        Assert.True(norn.Matches("system/reboot-pending", null));
        Assert.False(norn.Matches("device-status/mac:112233445566/offline", null));
    }

    [Fact]
    public void Every_metadata_pair_must_be_present_and_equal()
    {
        var norn = With(new NornFilter { Metadata = new Dictionary<string, string> { ["/trust"] = "1000", ["/fw"] = "2.1" } });

        Assert.True(norn.Matches("x", Trusted));
        Assert.True(norn.Matches("x", new Dictionary<string, string>(Trusted) { ["/extra"] = "y" }));
        Assert.False(norn.Matches("x", new Dictionary<string, string> { ["/trust"] = "1000" }));
        Assert.False(norn.Matches("x", new Dictionary<string, string> { ["/trust"] = "100", ["/fw"] = "2.1" }));
        Assert.False(norn.Matches("x", null));
    }

    [Fact]
    public void Events_and_metadata_must_both_hold()
    {
        var norn = With(new NornFilter { Events = ["online$"], Metadata = new Dictionary<string, string> { ["/trust"] = "1000" } });

        Assert.True(norn.Matches("a/online", Trusted));
        Assert.False(norn.Matches("a/offline", Trusted));
        Assert.False(norn.Matches("a/online", null));
    }

    [Fact]
    public void A_regex_that_times_out_counts_as_no_match()
    {
        // Catastrophic backtracking on a long non-matching input: the 100 ms timeout stops it.
        var norn = With(new NornFilter { Events = ["^(a+)+$"] });

        Assert.False(norn.Matches(new string('a', 5000) + "!", null));
    }
}
