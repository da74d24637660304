namespace Mimisbrunnr.Testing;

/// <summary>
/// How tests treat a missing integration server: skipped (with the reason) on a developer machine, a failure when
/// <c>MIMISBRUNNR_REQUIRE_INTEGRATION=1</c> (set by test.sh, so CI never silently skips).
/// </summary>
public static class Integration
{
    /// <summary>Whether integration servers are required (CI).</summary>
    public static bool Required =>
        Environment.GetEnvironmentVariable("MIMISBRUNNR_REQUIRE_INTEGRATION") is "1" or "true";

    /// <summary>Skips the test with <paramref name="reason"/>, or fails it when integration servers are required.</summary>
    /// <param name="reason">Why the server is not available, for example "PostgreSQL not configured (MIMISBRUNNR_PG)".</param>
    public static void Unavailable(string reason)
    {
        if (Required)
        {
            Assert.Fail("integration server required but unavailable: " + reason);
        }

        Assert.Skip("skipped: " + reason);
    }
}
