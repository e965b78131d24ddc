using Commitments.Grains.Index;

namespace Commitments.Grains.Tests.Index;

public sealed class ReplyCodesTests
{
    [Fact]
    public void EveryCodeIsDistinctShortAndReadAsACode()
    {
        var codes = Enumerable.Range(0, ReplyCodes.Count).Select(ReplyCodes.At).ToList();

        codes.Distinct(StringComparer.OrdinalIgnoreCase).Count().ShouldBe(ReplyCodes.Count);
        codes.ShouldAllBe(c => ReplyCodes.LooksLikeCode(c));
        codes[..3].ShouldBe(["A2", "A3", "A4"]);
        ReplyCodes.At(ReplyCodes.Count).ShouldBe("A2", "after the last code they start again");
    }

    [Fact]
    public void CodesHandedOutBeforeFourDigitsTookEveryLetterKeepTheirPlace()
    {
        // Z0000…Z9999 followed the three-character codes before; a site's cursor may stand among them.
        ReplyCodes.At((24 * 8) + (24 * 90)).ShouldBe("Z0000");
        ReplyCodes.At((24 * 8) + (24 * 90) + 9_999).ShouldBe("Z9999");
        ReplyCodes.At((24 * 8) + (24 * 90) + 10_000).ShouldBe("A0000");
    }
}
