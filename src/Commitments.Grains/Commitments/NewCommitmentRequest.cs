using Commitments.Grains.Common;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Commitments;

/// <summary>A checked create request; its fingerprint tells a retry (same content) from a different promise.</summary>
internal sealed record NewCommitmentRequest(
    string What, Customer Customer, DateTimeOffset DueAt, string? HandoffTo, string? HandoffNote, string Fingerprint)
{
    /// <summary>Every problem at once; <paramref name="checkLead"/> only for a fresh create (a retry may come after the lead shrank).</summary>
    public static NewCommitmentRequest Normalize(
        NewCommitment input, SiteInfo site, StaffInfo maker, DateTimeOffset now, bool checkLead, TimeSpan minimumLead)
    {
        var v = new Validation();
        var what = v.Text("what", input.What, 1, CommitmentGrain.MaxTextLength);
        var c = input.Customer;
        string? name = null, mobile = null, room = null, language = null;
        if (c is null)
        {
            v.Add("customer", "is required: at least the customer's name.");
        }
        else
        {
            name = v.Text("customer.name", c.Name, 1, 100);
            mobile = Phone.Normalize(v, "customer.mobile", c.Mobile, site.PhoneRegion, required: false);
            room = v.Text("customer.room", c.Room, 1, 40, required: false);
            language = v.Text("customer.language", c.Language, 2, 16, required: false);
            if (language is not null && !IsLanguageTag(language))
            {
                v.Add("customer.language", "must be a language tag such as 'en' or 'es'.");
            }

            if (c.SmsConsent == true && mobile is null && string.IsNullOrWhiteSpace(c.Mobile))
            {
                v.Add("customer.smsConsent", "needs a customer mobile to text.");
            }
        }

        var due = Deadline.Parse(v, "dueAt", input.DueAt, site.Zone, checkLead ? now : null, minimumLead);

        var handoffTo = string.IsNullOrWhiteSpace(input.HandoffTo) ? null : input.HandoffTo.Trim();
        var note = v.Text("handoffNote", input.HandoffNote, 1, CommitmentGrain.MaxTextLength, required: false);
        if (note is not null && handoffTo is null)
        {
            v.Add("handoffNote", "goes with handoffTo: name the person the note is for.");
        }

        v.ThrowIfInvalid();
        var customer = new Customer(name!, mobile, room, c!.SmsConsent ?? false, language?.ToLowerInvariant());
        var fingerprint = string.Join('\u001f', what, customer.Name, customer.Mobile, customer.Room, customer.SmsConsent,
            customer.Language, due!.Value.UtcTicks, handoffTo, note, maker.Id);
        return new NewCommitmentRequest(what!, customer, due.Value, handoffTo, note, fingerprint);
    }

    private static bool IsLanguageTag(string tag) =>
        tag.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '-') && char.IsAsciiLetter(tag[0]);
}
