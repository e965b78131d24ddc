using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Commitments.Grains.Common;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Sites;

/// <summary>Six-digit codes that prove a staff mobile is its person's, kept only as keyed hashes.</summary>
public static class StaffPhoneCodes
{
    public const int Digits = 6;

    /// <summary>Wrong codes a phone may send before its waiting code is void (a manager sends a new one).</summary>
    public const int MaxWrongCodes = 5;

    public static string New() => RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Bound to the site and the person, under the deployment's secret: a code for one never proves another.</summary>
    public static string Hash(string site, string staffId, string code) => PhoneKeys.Of($"verify\n{site}\n{staffId}\n{code}");

    public static bool LooksLikeCode(string value) => value.Length == Digits && value.All(char.IsAsciiDigit);

    /// <summary>"VERIFY 123456" (or the code alone, while a code waits): the code of a staff phone verification.</summary>
    public static (string Code, bool Verb)? InReply(string body)
    {
        var tokens = body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var verb = tokens.Length > 0 && tokens[0].Trim('"', '\'', '.', '!', ':').Equals("VERIFY", StringComparison.OrdinalIgnoreCase);
        var code = (verb ? tokens.ElementAtOrDefault(1) : tokens.Length == 1 ? tokens[0] : null)?.Trim('"', '\'', '.', '!', '#');
        return verb || (code is not null && LooksLikeCode(code))
            ? (code ?? "", verb)
            : null;
    }

    public static bool Matches(string hash, string site, string staffId, string code) =>
        LooksLikeCode(code)
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(Hash(site, staffId, code)));
}

/// <summary>
/// Unproved staff mobiles: a phone acts as the person only once it replies VERIFY and the code. Codes go through the site's
/// outbox (<see cref="SiteState.Texts"/>), claimed durably and looked up before any resend. The handset tells the site one
/// way (the site waits on its handsets, never the reverse).
/// </summary>
public sealed class StaffPhones(TimeProvider time)
{
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromHours(24);

    /// <summary>Minimum gap between codes to a person (and <see cref="CodesPerDay"/> a day), so a number cannot be flooded.</summary>
    public static readonly TimeSpan ResendAfter = TimeSpan.FromMinutes(1);
    public const int CodesPerDay = 5;

    /// <summary>Finished texts are kept this long (their status still shows), and at most <see cref="MaxTexts"/>.</summary>
    public static readonly TimeSpan KeepFinished = TimeSpan.FromDays(2);
    public const int MaxTexts = 100;

    /// <summary>
    /// A new code for the person's <paramref name="mobile"/>; nothing changes yet (see <see cref="Record"/>). Refused after too many lately.
    /// </summary>
    public (VerificationRequest Request, OutboundText Text) Issue(
        SiteState site, string siteId, string staffId, StaffRecord person, string mobile, string name)
    {
        var now = time.GetUtcNow();
        var lastDay = person.VerificationCodes.Where(at => at > now - TimeSpan.FromDays(1)).ToList();
        var wait = lastDay.Count >= CodesPerDay ? lastDay.Min() + TimeSpan.FromDays(1) - now
            : lastDay.Count > 0 ? lastDay.Max() + ResendAfter - now
            : TimeSpan.Zero;
        if (wait > TimeSpan.Zero)
        {
            throw new RuleViolationException(RuleKind.TooManyAttempts, "mobile",
                lastDay.Count >= CodesPerDay
                    ? $"{name} was sent {CodesPerDay} codes today; try again tomorrow."
                    : $"A code was sent to {name} a moment ago; wait a minute before sending another.")
            {
                RetryAfterSeconds = (int)Math.Ceiling(wait.TotalSeconds),
            };
        }

        var code = StaffPhoneCodes.New();
        var request = new VerificationRequest(
            siteId, staffId, StaffPhoneCodes.Hash(siteId, staffId, code), now + CodeLifetime, site.Name ?? siteId, name);
        var text = new OutboundText
        {
            Id = $"verify:{staffId}:{now.ToUnixTimeMilliseconds()}",
            Kind = TextKinds.StaffVerify,
            RecipientRole = "staff",
            StaffId = staffId,
            To = mobile,
            Language = TextTemplates.DefaultLanguage,
            Body = TextTemplates.Render("StaffVerify", TextTemplates.DefaultLanguage, new Dictionary<string, string>
            {
                ["site"] = site.Name ?? siteId,
                ["name"] = TextTemplates.Name(name),
                ["code"] = code,
            }, "site", "name"),
            Stage = TextStage.Waiting,
            NotBefore = now,
            CreatedAt = now,
            UpdatedAt = now,
        };
        return (request, text);
    }

    /// <summary>The code is on its way: the person's mobile waits for it, and an earlier code's unsent text is dropped.</summary>
    public void Record(SiteState site, StaffRecord person, OutboundText text)
    {
        var now = time.GetUtcNow();
        person.MobileUnverified = true;
        person.VerificationCodes.RemoveAll(at => at <= now - TimeSpan.FromDays(1));
        person.VerificationCodes.Add(now);
        foreach (var earlier in site.Texts.Where(t => t.StaffId == text.StaffId && t.Stage == TextStage.Waiting))
        {
            Skip(earlier, "A newer code replaced it.", now);
        }

        site.Texts.Add(text);
        Prune(site, now);
    }

    /// <summary>The phone answered its code (or was found to be the person's already).</summary>
    public void Verified(SiteState site, string staffId, StaffRecord person)
    {
        var now = time.GetUtcNow();
        person.MobileUnverified = false;
        foreach (var open in site.Texts.Where(t => t.StaffId == staffId && t.Stage == TextStage.Waiting))
        {
            Skip(open, "The phone is verified.", now);
        }
    }

    /// <summary>Texts to send or to poll now: due, or claimed by a dispatcher whose silo is gone.</summary>
    public List<OutboundText> Due(SiteState site, string dispatcherId, Func<string, bool> claimantGone) =>
        [.. site.Texts.Where(t => TextAttempts.IsDue(t, time.GetUtcNow(), dispatcherId, claimantGone))];

    public DateTimeOffset? NextWorkAt(SiteState site) => site.Texts.Select(t => t.NextWorkAt).Where(at => at is not null).Min();

    /// <summary>Why a code is no longer worth sending (the person left, changed phones, or verified meanwhile).</summary>
    public static string? SkipReason(SiteState site, OutboundText text) =>
        text.StaffId is null || !site.Staff.TryGetValue(text.StaffId, out var person) || !person.Active ? "The staff member is no longer active."
        : person.Mobile != text.To ? "The staff member's mobile changed."
        : !person.MobileUnverified ? "The phone is verified."
        : site.Texts.Any(t => t.StaffId == text.StaffId && t.CreatedAt > text.CreatedAt) ? "A newer code replaced it."
        : null;

    /// <summary>Skipped, and its words (with their code) not kept.</summary>
    public static void Skip(OutboundText text, string reason, DateTimeOffset now)
    {
        TextAttempts.Skip(text, reason, now);
        text.Body = null;
    }

    /// <summary>After a send is settled the words (with their code) are not kept.</summary>
    public static void Settled(OutboundText text)
    {
        if (!text.IsOpen)
        {
            text.Body = null;
        }
    }

    private static void Prune(SiteState site, DateTimeOffset now)
    {
        site.Texts.RemoveAll(t => !t.IsOpen && t.NextWorkAt is null && t.UpdatedAt < now - KeepFinished);
        var excess = site.Texts.Count - MaxTexts;
        if (excess > 0)
        {
            site.Texts.RemoveAll(t => !t.IsOpen && excess-- > 0);
        }
    }
}
