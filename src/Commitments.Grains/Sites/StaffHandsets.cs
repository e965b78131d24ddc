using Commitments.Grains.Texts;

namespace Commitments.Grains.Sites;

/// <summary>
/// What the site tells its staff phones' handsets. The site waits on its handsets, never the reverse (they tell it one way).
/// </summary>
internal sealed class StaffHandsets(StaffPhones phones, IGrainFactory grains, string siteId, Func<SiteState> state, Func<Task> write)
{
    private IHandsetGrain Handset(string mobile) => IHandsetGrain.For(grains, mobile);

    /// <summary>
    /// A code for the person's mobile, told to the phone first so a code that arrives always works. Returns its text, or null
    /// if the phone is theirs already (the site missed the word). Nothing changes yet.
    /// </summary>
    public async Task<OutboundText?> RequestCodeAsync(string staffId, StaffRecord person, string mobile, string name)
    {
        var (request, text) = phones.Issue(state(), siteId, staffId, person, mobile, name);
        return await Handset(mobile).ExpectVerification(request) ? null : text;
    }

    /// <summary>The code is on its way (<paramref name="code"/>), or the phone is the person's already (null).</summary>
    public void Apply(string staffId, StaffRecord person, OutboundText? code)
    {
        if (code is null)
        {
            phones.Verified(state(), staffId, person);
        }
        else
        {
            phones.Record(state(), person, code);
        }
    }

    /// <summary>Finds and records phones that answered their code without the site hearing (the word is one way).</summary>
    public async Task FindVerifiedAsync()
    {
        var found = false;
        foreach (var (id, person) in state().Staff.Where(s => s.Value.MobileUnverified && s.Value.Active).ToList())
        {
            if (await Handset(person.Mobile).IsStaffOf(siteId, id) && person.MobileUnverified)
            {
                phones.Verified(state(), id, person);
                found = true;
            }
        }

        if (found)
        {
            await write();
        }
    }

    /// <summary>Tells every verified phone whose it is; a phone awaiting its code is neither registered nor forgotten.</summary>
    public async Task RegisterAllAsync()
    {
        foreach (var chunk in state().Staff.Where(s => !s.Value.MobileUnverified).ToList().Chunk(8))
        {
            await Task.WhenAll(chunk.Select(s => Handset(s.Value.Mobile).RegisterStaff(siteId, s.Key, s.Value.Active)));
        }
    }

    /// <summary>If this fails, the site re-registers every phone on its next activation.</summary>
    public async Task RegisterAsync(string mobile, string staffId, bool active)
    {
        try
        {
            await Handset(mobile).RegisterStaff(siteId, staffId, active);
        }
        catch
        {
            if (state().HandsetsRegistered)
            {
                state().HandsetsRegistered = false;
                await write();
            }

            throw;
        }
    }
}
