using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Host.Tests.Texts;
using Commitments.Testing;
using Microsoft.Playwright;

namespace Commitments.Host.Tests.Web;

/// <summary>
/// The real host on a loopback port (with Azurite and the local Twilio) and Debian's Chromium,
/// driven by Playwright. Never downloads a browser: the executable is the machine's own
/// (<c>chromium</c> on PATH, or <c>CHROMIUM_PATH</c>).
/// </summary>
public sealed class BrowserFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    internal static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private IPlaywright? _playwright;

    public TextingApp Host { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public CommitmentsApp App => Host.App;

    /// <summary>Where screenshots go: kept as test artifacts.</summary>
    public static string ScreenshotDir { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async ValueTask InitializeAsync()
    {
        // Escalation in seconds (as the escalation tests run it), so a promise can go overdue while a test watches.
        Host = await TextingApp.StartAsync(azurite, settings: Escalation.EscalationFixture.Settings());
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            Args = ChromiumArgs,
        });
        Directory.CreateDirectory(ScreenshotDir);
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }

    /// <summary>A promise made straight through its grain (not the page), due <paramref name="dueIn"/> from now.</summary>
    public async Task<Guid> PromiseAsync(
        string site, TimeSpan dueIn, string by = "desk1", string? handoffTo = null, string what = "Extra towels", bool textable = false)
    {
        var id = Guid.NewGuid();
        await App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id)).Create(
            Actor.Staff(by),
            new NewCommitment(
                what,
                new CustomerInput("Ana Silva", textable ? TextingApp.NewMobile() : null, "412", textable, null),
                DateTimeOffset.UtcNow.Add(dueIn).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                handoffTo,
                null));
        return id;
    }

    /// <summary>A new device: its own cookies and storage, at tablet size unless told otherwise.</summary>
    public async Task<IPage> NewDeviceAsync(int width = 768, int height = 1024)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Host.BaseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            HasTouch = true,
            // No colour transitions mid-check: axe judges what is on screen, not a fade between two states.
            ReducedMotion = ReducedMotion.Reduce,
        });
        // Generous: CI runs the test assemblies side by side on 2 cores; the tests wait on events, never on the timeout.
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(30_000);
        return await context.NewPageAsync();
    }

    internal static string ChromiumPath()
    {
        if (Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured)
        {
            return configured;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            foreach (var name in new[] { "chromium", "chromium-browser" })
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException("Browser tests need Debian's chromium on PATH (apt-get install chromium) or CHROMIUM_PATH; .ci/run installs it.");
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
