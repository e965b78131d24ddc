extern alias localtwilio;

using Commitments.Grains.Common;
using Commitments.Grains.Sites;
using Commitments.Testing;
using localtwilio::Commitments.LocalTwilio;

namespace Commitments.Bench;

/// <summary>What the benchmarks that run the real host share.</summary>
internal static class BenchHost
{
    public const string OurNumber = "+12025550100";

    /// <summary>Points WebApplicationFactory at the host's content root, as the test projects get it from Mvc.Testing's manifest.</summary>
    public static void UseHostContentRoot() =>
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_COMMITMENTS_HOST", Path.Combine(RepositoryRoot(), "src", "Commitments.Host"));

    /// <summary>The folder holding Commitments.sln, above the bench's binaries.</summary>
    public static string RepositoryRoot()
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "Commitments.sln")))
        {
            repo = repo.Parent;
        }

        return repo?.FullName ?? throw new InvalidOperationException($"No Commitments.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Production settings for a host on its own table, texting through the local Twilio and reachable on <paramref name="port"/>.</summary>
    public static Dictionary<string, string?> Settings(AzuriteFixture azurite, LocalTwilioServer fake, string table, int port) =>
        new(fake.ClientSettings(OurNumber, $"http://127.0.0.1:{port}"))
        {
            ["ConnectionStrings:Storage"] = azurite.ConnectionString,
            ["Storage:TableName"] = table,
            ["Orleans:SiloPort"] = AzuriteFixture.GetFreeTcpPort().ToString(),
            ["Orleans:GatewayPort"] = AzuriteFixture.GetFreeTcpPort().ToString(),
            ["Orleans:ClusterId"] = "bench-" + Guid.NewGuid().ToString("N"),
            // What a host outside Development must be given.
            ["DataProtection:CertificatePath"] = TestCertificate.Path,
            ["DataProtection:CertificatePassword"] = TestCertificate.Password,
            ["Privacy:PhoneKey"] = TestSecrets.PhoneKey,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:Console:TimestampFormat"] = "HH:mm:ss.fff ",
            // What the reconcile passes did (and how long they took) shows in the restart case.
            ["Logging:LogLevel:Commitments.Host.Escalation.EscalationReconciler"] = "Information",
            ["Logging:LogLevel:Commitments.Grains.Index.SiteIndexGrain"] = "Information",
        };

    /// <summary>A hotel with a desk (desk1, PIN 1111) and a housekeeper (hk1, PIN 2222), as the create benchmarks use.</summary>
    public static async Task SetUpHotelAsync(IGrainFactory grains, string id)
    {
        var site = grains.GetGrain<ISiteGrain>(id);
        await site.Ensure(new SiteSetup("Harborview Hotel", "America/New_York", "US"));
        await site.UpsertTeam(Actor.System, new TeamInput("front-desk", "Front Desk"));
        await site.UpsertTeam(Actor.System, new TeamInput("housekeeping", "Housekeeping"));
        await site.EnsureStaff(new StaffInput("desk1", "Dana Whitfield", "+12025550141", Roles.FrontDesk, "front-desk", "1111"));
        await site.EnsureStaff(new StaffInput("hk1", "Maria Lopez", "+12025550142", Roles.Staff, "housekeeping", "2222"));
    }

    public static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];
}
