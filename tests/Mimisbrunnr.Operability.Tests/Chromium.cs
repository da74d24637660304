using Microsoft.Playwright;
using Mimisbrunnr.Testing;

namespace Mimisbrunnr.Operability.Tests;

/// <summary>
/// Debian's Chromium (<c>MIMISBRUNNR_CHROMIUM</c>, else <c>/usr/bin/chromium</c>; tools/start-chromium.sh installs it),
/// driven by Playwright's .NET driver. Playwright never downloads a browser here: it launches that executable.
/// </summary>
internal static class Chromium
{
    /// <summary>The flags this machine needs: no sandbox as root, no GPU, and no background traffic to a closed network.</summary>
    private static readonly string[] Flags =
    [
        "--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    /// <summary>The executable, or a skip (a failure under test.sh) when there is none.</summary>
    public static string Executable()
    {
        var path = Environment.GetEnvironmentVariable("MIMISBRUNNR_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(path))
        {
            Integration.Unavailable($"Chromium not found at {path} (apt-get install chromium, or set MIMISBRUNNR_CHROMIUM)");
        }

        return path;
    }

    /// <summary>A browser context in a new, empty profile directory, answering Basic challenges with the given user.</summary>
    public static async Task<(IPlaywright Playwright, IBrowserContext Context, string Profile)> LaunchAsync(string user, string password)
    {
        var executable = Executable();
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("mimisbrunnr-chromium-").FullName;
        try
        {
            var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Args = Flags,
                HttpCredentials = new HttpCredentials { Username = user, Password = password },
                ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
                Timeout = 60_000,
            });
            return (playwright, context, profile);
        }
        catch
        {
            playwright.Dispose();
            Directory.Delete(profile, recursive: true);
            throw;
        }
    }
}
