using Commitments.Grains.Common;
using Commitments.Grains.Sites;

namespace Commitments.Host.Hosting;

/// <summary>
/// The first site and its first manager, for a real hotel (section "Bootstrap"); applied
/// idempotently at start-up, outside Development. Nothing else is created.
/// </summary>
public sealed class BootstrapOptions
{
    public SiteBootstrap? Site { get; set; }

    public ManagerBootstrap? Manager { get; set; }

    public sealed class SiteBootstrap
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
        public string? TimeZone { get; set; }
        public string? PhoneRegion { get; set; }
        /// <summary>Customer texts in this language unless the customer has one (en or es; default en).</summary>
        public string Language { get; set; } = "en";
    }

    public sealed class ManagerBootstrap
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
        public string? Mobile { get; set; }
        public string? Pin { get; set; }
        /// <summary>The manager's team (default "management", created if missing).</summary>
        public string Team { get; set; } = "management";
        public string TeamName { get; set; } = "Management";
    }
}

internal static class SeedingHosting
{
    public static IHostApplicationBuilder AddCommitmentsSeeding(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BootstrapOptions>().BindConfiguration("Bootstrap");
        builder.Services.AddHostedService<SeedOnStart>();
        return builder;
    }
}

/// <summary>Runs after the silo started: the demo site in Development, else the configured first site.</summary>
internal sealed partial class SeedOnStart(
    IGrainFactory grains,
    IHostEnvironment environment,
    Microsoft.Extensions.Options.IOptions<BootstrapOptions> bootstrap,
    ILogger<SeedOnStart> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (environment.IsDevelopment())
        {
            await DemoSite.SeedAsync(grains);
            LogSeeded(logger, DemoSite.Id);
            return;
        }

        var config = bootstrap.Value;
        if (config.Site is not { Id: { } siteId } site)
        {
            LogNoBootstrap(logger);
            return;
        }

        var grain = grains.GetGrain<ISiteGrain>(siteId);
        await grain.Ensure(new SiteSetup(site.Name ?? siteId, site.TimeZone ?? "UTC", site.PhoneRegion ?? "US", site.Language));
        if (config.Manager is { Id: { } managerId } manager)
        {
            await grain.UpsertTeam(Actor.System, new TeamInput(manager.Team, manager.TeamName));
            await grain.EnsureStaff(new StaffInput(managerId, manager.Name, manager.Mobile, Roles.Manager, manager.Team, manager.Pin));
        }

        LogSeeded(logger, siteId);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Site {Site} is set up")]
    private static partial void LogSeeded(ILogger logger, string site);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No Bootstrap:Site configured; no site exists until one is")]
    private static partial void LogNoBootstrap(ILogger logger);
}

/// <summary>The demo hotel every newcomer signs in to (README lists the people and PINs).</summary>
public static class DemoSite
{
    public const string Id = "demo";

    public static readonly (string Id, string Name)[] Teams =
    [
        ("front-desk", "Front Desk"),
        ("housekeeping", "Housekeeping"),
        ("engineering", "Engineering"),
        ("food-and-beverage", "Food & Beverage"),
    ];

    public static readonly StaffInput[] Staff =
    [
        new("desk1", "Dana Whitfield", "+12025550141", Roles.FrontDesk, "front-desk", "1111"),
        new("hk1", "Maria Lopez", "+12025550142", Roles.Staff, "housekeeping", "2222", Lead: true),
        new("hk2", "Sam Okafor", "+12025550143", Roles.Staff, "housekeeping", "2223"),
        new("eng1", "Tom Becker", "+12025550144", Roles.Staff, "engineering", "3333"),
        new("mgr1", "Priya Nair", "+12025550145", Roles.Manager, "front-desk", "999999"),
    ];

    public static async Task SeedAsync(IGrainFactory grains)
    {
        var site = grains.GetGrain<ISiteGrain>(Id);
        await site.Ensure(new SiteSetup("Harborview Hotel", "America/New_York", "US"));
        var info = await site.GetInfo();
        foreach (var (teamId, name) in Teams)
        {
            if (info!.Teams.All(t => t.Id != teamId))
            {
                await site.UpsertTeam(Actor.System, new TeamInput(teamId, name));
            }
        }

        foreach (var staff in Staff)
        {
            await site.EnsureStaff(staff);
        }
    }
}
