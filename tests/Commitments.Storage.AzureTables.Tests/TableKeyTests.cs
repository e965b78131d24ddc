using System.Text;
using System.Text.RegularExpressions;

namespace Commitments.Storage.AzureTables.Tests;

/// <summary>How any string becomes a table key: injective, prefix-preserving, valid and at most 1 KiB.</summary>
public sealed partial class TableKeyTests
{
    [Theory]
    [InlineData("commitment", "commitment")]
    [InlineData("A-z_0.9", "A-z_0.9")]
    [InlineData("svc/commitment/demo", "svc!2Fcommitment!2Fdemo")]
    [InlineData(@"/\#?%'+! ~", "!2F!5C!23!3F!25!27!2B!21!20!7E")]
    [InlineData("\u0000\u001f\u007f\u0085", "!00!1F!7F!85")]
    [InlineData("Привет", "~041F~0440~0438~0432~0435~0442")]
    [InlineData("😀", "~D83D~DE00")]
    [InlineData("", "")]
    public void EscapingKeepsSafeCharactersAndSpellsOutEveryOtherOne(string value, string escaped)
    {
        TableKey.Escape(value).ShouldBe(escaped);
        TableKey.Unescape(escaped).ShouldBe(value);
    }

    [Fact]
    public void ValuesThatLookAlikeGetDifferentKeys()
    {
        string[] lookAlikes = ["a/b", "a%2Fb", "a!2Fb", "a~002Fb", "a__b", "a_b", "a\\b", "a b", "a+b", "A/b", "a/b/", "a//b"];

        lookAlikes.Select(TableKey.From).Distinct().Count().ShouldBe(lookAlikes.Length);
    }

    [Fact]
    public void EscapingIsInjectiveAndPrefixPreservingForThousandsOfGeneratedStrings()
    {
        var random = new Random(20260822);
        var values = Enumerable.Range(0, 5000).Select(_ => RandomString(random)).Append("").ToList();
        var keys = new Dictionary<string, string>();

        foreach (var value in values)
        {
            var escaped = TableKey.Escape(value);

            escaped.ShouldMatch(SafeKeyPattern().ToString());
            TableKey.Unescape(escaped).ShouldBe(value);
            for (var length = 0; length <= value.Length; length += value.Length > 100 ? 37 : 1)
            {
                escaped.ShouldStartWith(TableKey.Escape(value[..length]), Case.Sensitive);
            }

            var key = TableKey.From(value);
            key.Length.ShouldBeLessThanOrEqualTo(TableKey.MaxLength);
            key.ShouldMatch(SafeKeyPattern().ToString());
            if (keys.TryGetValue(key, out var earlier))
            {
                earlier.ShouldBe(value, "two different values got the same key");
            }

            keys[key] = value;
        }

        keys.Count.ShouldBe(values.Distinct().Count());
    }

    [Fact]
    public void LongValuesAreShortenedToAValidKeyThatKeepsTheirStartAndTheirIdentity()
    {
        var start = new string('x', 2000);
        var first = TableKey.From(start + "first");
        var second = TableKey.From(start + "second");

        first.Length.ShouldBeLessThanOrEqualTo(TableKey.MaxLength);
        first.ShouldStartWith(new string('x', TableKey.ShortenedPrefixLength), Case.Sensitive);
        first.ShouldContain("!!");
        second.ShouldNotBe(first);
        TableKey.From(start + "first").ShouldBe(first);
        Should.Throw<FormatException>(() => TableKey.Unescape(first));
    }

    [Fact]
    public void ShorteningNeverSplitsAnEscapeSequence()
    {
        // 'a' then slashes puts an escape sequence across the cut for every alignment.
        for (var lead = 0; lead < 5; lead++)
        {
            var value = new string('a', lead) + new string('/', 400) + new string('Ж', 100);
            var key = TableKey.From(value);
            var kept = key[..key.IndexOf("!!", StringComparison.Ordinal)];

            TableKey.Escape(value).ShouldStartWith(kept, Case.Sensitive);
            TableKey.Unescape(kept).ShouldNotBeNull();
        }
    }

    [Fact]
    public void KeysThatFitAreNotShortened()
    {
        var value = new string('k', TableKey.MaxLength);

        TableKey.From(value).ShouldBe(value);
        TableKey.From(value + "k").Length.ShouldBe(TableKey.MaxLength);
    }

    private static string RandomString(Random random)
    {
        // Mostly the characters that cause trouble in keys, with some plain ones to form prefixes.
        const string Tricky = "/\\#?%'+!~_.- \t\r\n\u0000\u001f\u007f\u0085\u00a0\u00ffПриветמ中😀";
        var length = random.Next(0, 40);
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            builder.Append(random.Next(4) switch
            {
                0 => (char)random.Next('a', 'z' + 1),
                1 => Tricky[random.Next(Tricky.Length)],
                2 => (char)random.Next(0, 0x80),
                _ => (char)random.Next(0, 0x10000),
            });
        }

        if (random.Next(20) == 0)
        {
            builder.Append(new string('/', random.Next(300, 700)));
        }

        return builder.ToString();
    }

    [GeneratedRegex("^[A-Za-z0-9._!~-]*$")]
    private static partial Regex SafeKeyPattern();
}
