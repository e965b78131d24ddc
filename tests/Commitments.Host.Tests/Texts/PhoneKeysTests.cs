using Commitments.Grains.Common;
using Commitments.Grains.Texts;
using Commitments.Host.Privacy;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Providers;
using Orleans.Storage;

namespace Commitments.Host.Tests.Texts;

/// <summary>Phone numbers are named by a keyed hash, and records stored under the old unkeyed names move to the new ones.</summary>
[Collection(TextingCollection.Name)]
public sealed class PhoneKeysTests(TextingFixture fixture)
{
    private TextingApp Texting => fixture.Texting;

    [Fact]
    public void ANumbersKeyDependsOnTheDeploymentsSecretSoItCannotBeFoundByTryingNumbers()
    {
        const string number = "+12025550199";
        var key = IHandsetGrain.KeyFor(number);

        key.ShouldNotContain(PhoneKeys.LegacyOf(number));
        key.ShouldNotContain(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(number)))[..32]);
        PhoneKeys.Of(number).ShouldNotBe(PhoneKeys.LegacyOf(number));
        ITextLimiterKeyOf(number).ShouldBe(PhoneKeys.Of(number));
    }

    private static string ITextLimiterKeyOf(string number) => Grains.Escalation.ITextLimiterGrain.Person(number);

    [Fact]
    public async Task RecordsUnderTheOldUnkeyedNamesMoveAndThoseOfNobodysNumbersGo()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        var staffPhone = site.Mobiles["hk1"];
        var stranger = TextingApp.NewMobile();
        var storage = Texting.App.Services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        GrainId Legacy(string number) => GrainId.Create(HandsetGrain.GrainTypeName, IHandsetGrain.LegacyKeyFor(number));

        // As an older version stored them: the staff phone opted out, and a stranger once texted.
        await storage.WriteStateAsync(HandsetGrain.StateName, Legacy(staffPhone), new GrainState<HandsetState>(new HandsetState
        {
            OptedOut = true,
            OptedOutAt = DateTimeOffset.UtcNow.AddDays(-3),
            Staff = [new StaffRef(site.Id, "hk1")],
        }));
        await storage.WriteStateAsync(HandsetGrain.StateName, Legacy(stranger), new GrainState<HandsetState>(new HandsetState { PassiveReplies = 1 }));

        var (moved, removed) = await Texting.App.Services.GetRequiredService<PhoneKeyMove>().RunAsync(CancellationToken.None);

        moved.ShouldBeGreaterThanOrEqualTo(1);
        removed.ShouldBeGreaterThanOrEqualTo(1);
        (await IHandsetGrain.For(Texting.App.Grains, staffPhone).IsOptedOut()).ShouldBeTrue("the opt-out moved with the record");
        foreach (var number in new[] { staffPhone, stranger })
        {
            var old = new GrainState<HandsetState>(new());
            await storage.ReadStateAsync(HandsetGrain.StateName, Legacy(number), old);
            old.RecordExists.ShouldBeFalse();
        }

        // Done: another run finds nothing to move.
        (await Texting.App.Services.GetRequiredService<PhoneKeyMove>().RunAsync(CancellationToken.None)).ShouldBe((0, 0));
    }
}
