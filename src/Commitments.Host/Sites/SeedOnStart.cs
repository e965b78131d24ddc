using Commitments.Grains.Common;
using Commitments.Grains.Sites;
using Commitments.Host.Development;

namespace Commitments.Host.Sites;

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
