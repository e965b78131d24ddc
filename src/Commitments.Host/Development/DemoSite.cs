using Commitments.Grains.Common;
using Commitments.Grains.Sites;

namespace Commitments.Host.Development;

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
