using System.Text.RegularExpressions;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Index;
using Commitments.Grains.Texts;
using Orleans.Concurrency;
using Microsoft.AspNetCore.Identity;

namespace Commitments.Grains.Sites;

/// <summary>A site (hotel): its name, clock, phone region, teams and staff directory.</summary>
/// <remarks>
/// Reads interleave with changes, so a promise (or a phone's reply acting on one) can always read
/// the directory, even while the site waits on another grain: no call cycle can deadlock.
/// </remarks>
public interface ISiteGrain : IGrainWithStringKey, ITextOutbox
{
    /// <summary>Creates the site if it does not exist yet; an existing site is left as it is.</summary>
    [Idempotent]
    Task<SiteInfo> Ensure(SiteSetup setup);

    [AlwaysInterleave]
    [Idempotent]
    Task<SiteInfo?> GetInfo();

    Task<TeamInfo> UpsertTeam(Actor actor, TeamInput input);

    [AlwaysInterleave]
    [Idempotent]
    Task<IReadOnlyList<StaffInfo>> ListStaff(bool includeInactive);

    [AlwaysInterleave]
    [Idempotent]
    Task<StaffInfo?> GetStaff(string staffId);

    Task<StaffInfo> AddStaff(Actor actor, StaffInput input);

    /// <summary>Adds the staff member unless one with that id exists (seeding and first-run set-up).</summary>
    [Idempotent]
    Task<StaffInfo> EnsureStaff(StaffInput input);

    Task<StaffInfo> UpdateStaff(Actor actor, string staffId, StaffInput input);

    /// <summary>Deactivates a leaver and lists what they still own or were offered, for a manager to hand on.</summary>
    Task<DeactivationResult> DeactivateStaff(Actor actor, string staffId);

    /// <summary>
    /// Checks a PIN. <paramref name="enrolledDevice"/>: the attempt comes from one of the site's own
    /// devices (a manager signed in on it), whose failures are counted apart from everyone else's.
    /// </summary>
    Task<SignInResult> SignIn(string staffId, string pin, bool enrolledDevice = false);

    /// <summary>The person signed out of <paramref name="session"/>: that sign-in ends (a copy of its cookie too), and their open pages re-check.</summary>
    Task SignOut(string staffId, string session);

    /// <summary>Whether a sign-in still holds: the person is active, the stamp is theirs, and the session was not ended.</summary>
    [AlwaysInterleave]
    [ReadOnly]
    [Idempotent]
    Task<bool> IsSignedIn(string staffId, string session, string stamp);

    /// <summary>The team's escalation policy (the defaults until a manager sets one).</summary>
    [AlwaysInterleave]
    [Idempotent]
    Task<EscalationPolicy> GetPolicy(string team);

    Task<EscalationPolicy> SetPolicy(Actor actor, string team, EscalationPolicy policy);

    /// <summary>A manager changes the site's name, time zone, phone region, language or quiet hours.</summary>
    Task<SiteInfo> UpdateSettings(Actor actor, SiteSettingsInput input);

    /// <summary>The site's one-tap request types, the most used first (the defaults until a manager sets them).</summary>
    [AlwaysInterleave]
    [Idempotent]
    Task<IReadOnlyList<RequestTypeInfo>> ListRequestTypes();

    /// <summary>A promise was made from this request type, so it moves up the list.</summary>
    Task RequestTypeUsed(string requestTypeId);

    /// <summary>A staff phone's handset says it texted STOP (or START): kept on the person, so escalation need not ask every phone.</summary>
    [OneWay]
    Task StaffPhoneOptedOut(string staffId, string handsetKey, bool optedOut);

    /// <summary>A manager texts the person a new code for their mobile, which has not answered one yet.</summary>
    Task<StaffInfo> ResendVerification(Actor actor, string staffId);

    /// <summary>The person's phone answered its code: one way from the handset (a stale message about an old phone is dropped).</summary>
    [OneWay]
    Task StaffPhoneVerified(string staffId, string handsetKey);

    /// <summary>Its index's sweep: the site's own texts that came due go to the dispatcher of the silo it lives on.</summary>
    [OneWay]
    Task WakeTexts();

    /// <summary>A manager replaces the list (uses are kept for the ids that stay).</summary>
    Task<IReadOnlyList<RequestTypeInfo>> SetRequestTypes(Actor actor, IReadOnlyList<RequestTypeInput> types);
}

[GenerateSerializer, Immutable, Alias("commitments.deactivation-result")]
public sealed record DeactivationResult(
    [property: Id(0)] StaffInfo Staff,
    [property: Id(1)] IReadOnlyList<IndexEntry> OpenPromises,
    [property: Id(2)] IReadOnlyList<IndexEntry> OfferedHandoffs);

[GrainType(GrainTypeName)]
public sealed partial class SiteGrain(
    [PersistentState(SiteGrain.StateName)] IPersistentState<SiteState> site,
    TimeProvider time,
    Microsoft.Extensions.Logging.ILogger<SiteGrain> logger,
    ITextSignal? textSignal = null,
    IPasswordHasher<string>? pinHasher = null) : Grain, ISiteGrain
{
    /// <summary>Part of every stored key: never rename.</summary>
    public const string GrainTypeName = "site";
    public const string StateName = "site";
    private static readonly PasswordHasher<string> DefaultHasher = new();

    private readonly StaffSignIns _signIns = new(time, pinHasher ?? DefaultHasher);
    private readonly StaffPhones _phones = new(time);

    private string SiteId => this.GetPrimaryKeyString();

    private SiteState State => site.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (State.Exists)
        {
            // Idempotent: a site is known to the registry even if that record was lost or predates it,
            // and its staff phones to their handsets (once, for sites that predate the flag or whose
            // registration failed).
            await GrainFactory.GetGrain<ISiteRegistryGrain>(SiteRegistryGrain.Key).Add(SiteId);
            if (!State.HandsetsRegistered)
            {
                // Once, not on every activation: after a restart thousands of phones would be read
                // at the moment the promises need storage most.
                this.RegisterGrainTimer(RegisterHandsetsAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = true });
            }

            if (State.Staff.Values.Any(s => s.MobileUnverified && s.Active))
            {
                // A phone's answer reaches the site one way: one that was lost is found here.
                this.RegisterGrainTimer(FindVerifiedPhonesAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
            }
        }
    }

    private async Task FindVerifiedPhonesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var found = false;
            foreach (var (id, person) in State.Staff.Where(s => s.Value.MobileUnverified && s.Value.Active).ToList())
            {
                if (await Handset(person.Mobile).IsStaffOf(SiteId, id) && person.MobileUnverified)
                {
                    _phones.Verified(State, id, person);
                    found = true;
                }
            }

            if (found)
            {
                await site.WriteStateAsync();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogHandsetsNotRegistered(logger, ex, SiteId);
        }
    }

    public async Task StaffPhoneVerified(string staffId, string handsetKey)
    {
        if (State.Staff.TryGetValue(staffId, out var record) && record.MobileUnverified && IHandsetGrain.KeyFor(record.Mobile) == handsetKey)
        {
            _phones.Verified(State, staffId, record);
            await site.WriteStateAsync();
        }
    }

    public async Task<StaffInfo> ResendVerification(Actor actor, string staffId)
    {
        RequireSite();
        RequireManager(actor);
        if (!State.Staff.TryGetValue(staffId, out var person))
        {
            throw RuleViolationException.NotFound("staff", $"There is no staff member '{staffId}' at this site.");
        }

        if (!person.Active)
        {
            throw RuleViolationException.Conflict($"{person.Name} is not active: reactivate them first.");
        }

        if (!person.MobileUnverified)
        {
            throw RuleViolationException.Conflict($"{person.Name}'s mobile is verified already.");
        }

        var code = await VerifyMobileAsync(staffId, person, person.Mobile, person.Name);
        Verifying(staffId, person, code);
        await site.WriteStateAsync();
        TextsChanged();
        return ToInfo(staffId, person);
    }

    /// <summary>
    /// A code for the person's (new) mobile; until the phone answers it gets no staff texts and does
    /// not act as them. The phone learns of the code first, so a code that arrives always works.
    /// Returns the text that carries it, or null if the phone turns out to be theirs already (it
    /// answered an earlier code, and that word never reached the site). Nothing here changes yet.
    /// </summary>
    private async Task<OutboundText?> VerifyMobileAsync(string staffId, StaffRecord person, string mobile, string name)
    {
        var (request, text) = _phones.Issue(State, SiteId, staffId, person, mobile, name);
        return await Handset(mobile).ExpectVerification(request) ? null : text;
    }

    private void Verifying(string staffId, StaffRecord person, OutboundText? code)
    {
        if (code is null)
        {
            _phones.Verified(State, staffId, person);
        }
        else
        {
            _phones.Record(State, person, code);
        }
    }

    public async Task<TextWork> BeginDueTexts(string dispatcherId)
    {
        var due = State.Exists ? _phones.Due(State, dispatcherId, ClaimantGone) : [];
        if (due.Count == 0)
        {
            return TextWork.None;
        }

        var now = time.GetUtcNow();
        var send = new List<TextToSend>();
        var poll = new List<TextPoll>();
        foreach (var text in due)
        {
            if (text.Stage == TextStage.Submitted)
            {
                text.Polls++;
                poll.Add(new TextPoll(text.Id, text.MessageSid!));
            }
            else if ((StaffPhones.SkipReason(State, text) ?? (await Handset(text.To).IsOptedOut() ? "The recipient opted out (STOP)." : null)) is { } reason)
            {
                _phones.Skip(text, reason, now);
            }
            else if (text.Body is { } body)
            {
                var lookUpSince = TextAttempts.Claim(text, dispatcherId, now);
                var known = State.Texts.Where(t => t != text && t.MessageSid is not null).Select(t => t.MessageSid!).ToList();
                send.Add(new TextToSend(SiteId, TextOutboxes.SiteTexts, text.Id, text.To, body, lookUpSince, known));
            }
        }

        // The attempt is on record before anything is sent: a crash from here on is looked up, never resent blindly.
        await site.WriteStateAsync();
        TellIndexWhenTextsAreDue();
        return new TextWork(send, poll);
    }

    public async Task RecordSendOutcome(string textId, SendOutcome outcome)
    {
        if (State.Texts.FirstOrDefault(t => t.Id == textId) is not { Stage: not TextStage.Skipped } text)
        {
            return;
        }

        if (TextAttempts.ApplyOutcome(text, outcome, time.GetUtcNow()) == TextAttempts.Applied.Failed && outcome.OptedOut)
        {
            Handset(text.To).SetOptedOut(true).Ignore();
        }

        StaffPhones.Settled(text);
        await site.WriteStateAsync();
        TellIndexWhenTextsAreDue();
    }

    public async Task UpdateTextStatus(string textId, string messageSid, string status, int? errorCode)
    {
        if (State.Texts.FirstOrDefault(t => t.Id == textId) is not { } text || (text.MessageSid is not null && text.MessageSid != messageSid))
        {
            return;
        }

        if (errorCode == 21610)
        {
            Handset(text.To).SetOptedOut(true).Ignore();
        }

        if (TextAttempts.ApplyStatus(text, messageSid, status, errorCode, time.GetUtcNow()).Changed)
        {
            StaffPhones.Settled(text);
            await site.WriteStateAsync();
        }
    }

    public Task<string?> SubmittedSid(string textId) => Task.FromResult(State.Texts.FirstOrDefault(t => t.Id == textId)?.MessageSid);

    public Task WakeTexts()
    {
        if (State.Exists && textSignal is not null && _phones.Due(State, textSignal.DispatcherId, ClaimantGone).Count > 0)
        {
            textSignal.TextsReady(SiteId, TextOutboxes.SiteTexts);
        }

        TellIndexWhenTextsAreDue();
        return Task.CompletedTask;
    }

    private bool ClaimantGone(string dispatcherId) => textSignal is null || !textSignal.IsAlive(dispatcherId);

    /// <summary>A change to the site's texts: the dispatcher hears at once, and the index's sweep wakes the site when the next is due.</summary>
    private void TextsChanged()
    {
        textSignal?.TextsReady(SiteId, TextOutboxes.SiteTexts);
        TellIndexWhenTextsAreDue();
    }

    // One way: the index wakes this site (one way too) from its sweep.
    private void TellIndexWhenTextsAreDue() =>
        GrainFactory.GetGrain<ISiteIndexGrain>(SiteId).SiteTextsDue(_phones.NextWorkAt(State)).Ignore();

    public async Task StaffPhoneOptedOut(string staffId, string handsetKey, bool optedOut)
    {
        // One way from the handset (it never waits on the site, which waits on it); a stale message
        // about a phone the person no longer has is dropped.
        if (State.Staff.TryGetValue(staffId, out var record) && IHandsetGrain.KeyFor(record.Mobile) == handsetKey && record.OptedOut != optedOut)
        {
            record.OptedOut = optedOut;
            await site.WriteStateAsync();
        }
    }

    // Interleaved: the site keeps answering the promises while its phones are registered.
    private async Task RegisterHandsetsAsync(CancellationToken cancellationToken)
    {
        try
        {
            // A phone that has not answered its code keeps waiting for it: it is not registered (nor forgotten).
            foreach (var chunk in State.Staff.Where(s => !s.Value.MobileUnverified).ToList().Chunk(8))
            {
                await Task.WhenAll(chunk.Select(s => Handset(s.Value.Mobile).RegisterStaff(SiteId, s.Key, s.Value.Active)));
            }

            // The write is a turn of its own: it never runs beside another call's write.
            this.RegisterGrainTimer(async _ =>
            {
                State.HandsetsRegistered = true;
                await site.WriteStateAsync();
            }, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogHandsetsNotRegistered(logger, ex, SiteId);
        }
    }

    /// <summary>Tells a staff phone's handset who it belongs to; if that fails, the site makes sure of every phone on its next activation.</summary>
    private async Task RegisterHandsetAsync(string mobile, string staffId, bool active)
    {
        try
        {
            await Handset(mobile).RegisterStaff(SiteId, staffId, active);
        }
        catch
        {
            if (State.HandsetsRegistered)
            {
                State.HandsetsRegistered = false;
                await site.WriteStateAsync();
            }

            throw;
        }
    }

    public async Task<SiteInfo> Ensure(SiteSetup setup)
    {
        if (State.Exists)
        {
            return Info();
        }

        var v = new Validation();
        if (!IsSlug(SiteId))
        {
            v.Add("site", "must be a slug: lower-case letters, digits and dashes, 1–40 characters.");
        }

        var name = v.Text("name", setup.Name, 1, 100);
        if (!TryFindZone(setup.TimeZone, out _))
        {
            v.Add("timeZone", $"'{setup.TimeZone}' is not a known IANA time zone.");
        }

        if (!Phone.IsKnownRegion(setup.PhoneRegion))
        {
            v.Add("phoneRegion", $"'{setup.PhoneRegion}' is not a known two-letter phone region.");
        }

        if (!TextTemplates.Languages.Contains(setup.Language))
        {
            v.Add("language", $"must be one of the languages texts are written in: {string.Join(", ", TextTemplates.Languages)}.");
        }

        v.ThrowIfInvalid();
        State.Name = name;
        State.TimeZone = setup.TimeZone;
        State.PhoneRegion = setup.PhoneRegion.ToUpperInvariant();
        State.Language = setup.Language;
        // No staff yet: each person's phone is registered as they are added.
        State.HandsetsRegistered = true;
        await site.WriteStateAsync();
        await GrainFactory.GetGrain<ISiteRegistryGrain>(SiteRegistryGrain.Key).Add(SiteId);
        return Info();
    }

    public async Task<SiteInfo> UpdateSettings(Actor actor, SiteSettingsInput input)
    {
        RequireSite();
        RequireManager(actor);
        var v = new Validation();
        var name = input.Name is null ? State.Name : v.Text("name", input.Name, 1, 100);
        var zone = input.TimeZone?.Trim() ?? State.TimeZone;
        if (!TryFindZone(zone, out _))
        {
            v.Add("timeZone", $"'{zone}' is not a known IANA time zone.");
        }

        var region = input.PhoneRegion?.Trim().ToUpperInvariant() ?? State.PhoneRegion;
        if (!Phone.IsKnownRegion(region))
        {
            v.Add("phoneRegion", $"'{region}' is not a known two-letter phone region.");
        }

        var language = input.Language?.Trim() ?? State.Language;
        if (!TextTemplates.Languages.Contains(language))
        {
            v.Add("language", $"must be one of the languages texts are written in: {string.Join(", ", TextTemplates.Languages)}.");
        }

        var quietFrom = ParseTime(v, "quietFrom", input.QuietFrom) ?? State.QuietFrom;
        var quietUntil = ParseTime(v, "quietUntil", input.QuietUntil) ?? State.QuietUntil;
        v.ThrowIfInvalid();
        (State.Name, State.TimeZone, State.PhoneRegion, State.Language, State.QuietFrom, State.QuietUntil) =
            (name, zone, region, language, quietFrom, quietUntil);
        await site.WriteStateAsync();
        return Info();
    }

    private static TimeOnly? ParseTime(Validation v, string field, string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (TimeOnly.TryParseExact(value.Trim(), "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var time))
        {
            return time;
        }

        v.Add(field, "must be a time of day as HH:mm (24-hour), e.g. 22:00.");
        return null;
    }

    public Task<SiteInfo?> GetInfo() => Task.FromResult(State.Exists ? Info() : null);

    public async Task<TeamInfo> UpsertTeam(Actor actor, TeamInput input)
    {
        RequireSite();
        RequireManager(actor);
        var v = new Validation();
        var id = input.Id?.Trim();
        if (!IsSlug(id))
        {
            v.Add("id", "must be a slug: lower-case letters, digits and dashes, 1–40 characters.");
        }

        var name = v.Text("name", input.Name, 1, 100);
        v.ThrowIfInvalid();
        if (State.Teams.TryGetValue(id!, out var existing) && existing.Name == name)
        {
            return new TeamInfo(id!, name!);
        }

        State.Teams[id!] = new TeamRecord { Name = name! };
        await site.WriteStateAsync();
        return new TeamInfo(id!, name!);
    }

    public Task<IReadOnlyList<StaffInfo>> ListStaff(bool includeInactive) =>
        Task.FromResult<IReadOnlyList<StaffInfo>>(
        [
            .. State.Staff
                .Where(s => includeInactive || s.Value.Active)
                .OrderBy(s => s.Value.Name, StringComparer.OrdinalIgnoreCase)
                .Select(s => ToInfo(s.Key, s.Value)),
        ]);

    public Task<StaffInfo?> GetStaff(string staffId) =>
        Task.FromResult(State.Staff.TryGetValue(staffId, out var s) ? ToInfo(staffId, s) : null);

    public async Task<StaffInfo> AddStaff(Actor actor, StaffInput input)
    {
        RequireSite();
        RequireManager(actor);
        return await Add(input, ifMissing: false);
    }

    public async Task<StaffInfo> EnsureStaff(StaffInput input)
    {
        RequireSite();
        return await Add(input, ifMissing: true);
    }

    public async Task<StaffInfo> UpdateStaff(Actor actor, string staffId, StaffInput input)
    {
        RequireSite();
        RequireManager(actor);
        if (!State.Staff.TryGetValue(staffId, out var existing))
        {
            throw RuleViolationException.NotFound("staff", $"There is no staff member '{staffId}' at this site.");
        }

        if (input.Id is not null && input.Id != staffId)
        {
            throw RuleViolationException.Invalid("id", "cannot be changed; add a new staff member instead.");
        }

        if (input.Active == false)
        {
            throw RuleViolationException.Invalid("active", "use the deactivate action, which lists what the leaver still owns.");
        }

        var v = new Validation();
        var name = input.Name is null ? existing.Name : v.Text("name", input.Name, 1, 100);
        var mobile = input.Mobile is null ? existing.Mobile : Phone.Normalize(v, "mobile", input.Mobile, State.PhoneRegion, required: true);
        var role = input.Role is null ? existing.Role : CheckRole(v, input.Role);
        var team = input.Team is null ? existing.Team : CheckTeam(v, input.Team);
        var pin = input.Pin is null ? null : CheckPin(v, input.Pin, role);
        if (pin is null && input.Pin is null && role == Roles.Manager && existing.PinDigits < ManagerPinDigits)
        {
            // Their PIN may be short (its length is known only from when it was set or last used).
            v.Add("pin", $"a manager needs a PIN of {ManagerPinDigits}–8 digits: set one with the change.");
        }

        v.ThrowIfInvalid();

        if (existing.Role == Roles.Manager && role != Roles.Manager && ActiveManagers() == 1 && existing.Active)
        {
            throw RuleViolationException.Conflict("The site's last active manager cannot stop being a manager.");
        }

        var newMobile = existing.Mobile != mobile;
        OutboundText? code = null;
        if (newMobile)
        {
            // Another phone: it proves itself with a code, and its handset says whether it opted out.
            code = await VerifyMobileAsync(staffId, existing, mobile!, name!);
            await RegisterHandsetAsync(existing.Mobile, staffId, active: false);
            existing.OptedOut = false;
        }

        var stampBefore = StaffSignIns.Stamp(existing);
        existing.Name = name!;
        existing.Mobile = mobile!;
        existing.Role = role!;
        existing.Team = team!;
        if (pin is not null)
        {
            _signIns.SetPin(staffId, existing, pin);
        }

        if (input.Active == true)
        {
            existing.Active = true;
        }

        if (input.Lead is { } lead)
        {
            existing.Lead = lead;
        }

        var stampChanged = StaffSignIns.Stamp(existing) != stampBefore;
        if (stampChanged)
        {
            existing.Sessions.Clear();
        }

        if (newMobile)
        {
            Verifying(staffId, existing, code);
        }

        await site.WriteStateAsync();
        if (!existing.MobileUnverified)
        {
            await RegisterHandsetAsync(existing.Mobile, staffId, existing.Active);
        }

        if (code is not null)
        {
            TextsChanged();
        }
        if (stampChanged)
        {
            TellScreens(staffId);
        }

        return ToInfo(staffId, existing);
    }

    public async Task SignOut(string staffId, string session)
    {
        if (State.Exists && State.Staff.TryGetValue(staffId, out var staff) && staff.Sessions.Remove(session))
        {
            await site.WriteStateAsync();
            TellScreens(staffId);
        }
    }

    public Task<bool> IsSignedIn(string staffId, string session, string stamp) =>
        Task.FromResult(State.Exists && State.Staff.TryGetValue(staffId, out var staff) && StaffSignIns.Holds(staff, session, stamp));

    /// <summary>The person's sign-ins must be checked again: the site's open pages hear it through the index's change feed.</summary>
    private void TellScreens(string staffId) => GrainFactory.GetGrain<ISiteIndexGrain>(SiteId).StaffChanged(staffId).Ignore();

    public async Task<DeactivationResult> DeactivateStaff(Actor actor, string staffId)
    {
        RequireSite();
        RequireManager(actor);
        if (!State.Staff.TryGetValue(staffId, out var existing))
        {
            throw RuleViolationException.NotFound("staff", $"There is no staff member '{staffId}' at this site.");
        }

        if (existing.Active && existing.Role == Roles.Manager && ActiveManagers() == 1)
        {
            throw RuleViolationException.Conflict("The site's last active manager cannot be deactivated.");
        }

        if (existing.Active)
        {
            existing.Active = false;
            existing.Sessions.Clear();
            await site.WriteStateAsync();
            TellScreens(staffId);
        }

        await RegisterHandsetAsync(existing.Mobile, staffId, active: false);

        var index = GrainFactory.GetGrain<ISiteIndexGrain>(SiteId);
        var owned = await index.Query(new IndexQuery(Status: CommitmentStatus.Open, Owner: staffId));
        var offered = await index.OfferedTo(staffId);
        return new DeactivationResult(ToInfo(staffId, existing), owned, offered);
    }

    public async Task<SignInResult> SignIn(string staffId, string pin, bool enrolledDevice)
    {
        var staff = State.Exists ? State.Staff.GetValueOrDefault(staffId) : null;
        var (outcome, retryAfter, session, write) = _signIns.Check(staffId, staff, pin ?? "", enrolledDevice);
        if (write)
        {
            await site.WriteStateAsync();
        }

        return new SignInResult(outcome, outcome == SignInOutcome.SignedIn ? ToInfo(staffId, staff!) : null, retryAfter, session);
    }

    public Task<EscalationPolicy> GetPolicy(string team)
    {
        RequireSite();
        return Task.FromResult(RequireTeam(team).Policy ?? EscalationPolicy.Default);
    }

    public async Task<EscalationPolicy> SetPolicy(Actor actor, string team, EscalationPolicy policy)
    {
        RequireSite();
        RequireManager(actor);
        var record = RequireTeam(team);
        policy.Validate(id => State.Staff.ContainsKey(id));
        record.Policy = policy;
        await site.WriteStateAsync();
        return policy;
    }

    private TeamRecord RequireTeam(string team) =>
        State.Teams.TryGetValue(team, out var record)
            ? record
            : throw RuleViolationException.NotFound("team", $"There is no team '{team}' at this site.");

    private async Task<StaffInfo> Add(StaffInput input, bool ifMissing)
    {
        var id = input.Id?.Trim();
        if (ifMissing && id is not null && State.Staff.TryGetValue(id, out var present))
        {
            return ToInfo(id, present);
        }

        var v = new Validation();
        if (!IsSlug(id))
        {
            v.Add("id", "must be a slug: lower-case letters, digits and dashes, 1–40 characters.");
        }
        else if (State.Staff.ContainsKey(id!))
        {
            throw new RuleViolationException(RuleKind.Conflict, "id", $"A staff member '{id}' already exists at this site.");
        }

        var name = v.Text("name", input.Name, 1, 100);
        var mobile = Phone.Normalize(v, "mobile", input.Mobile, State.PhoneRegion, required: true);
        var role = CheckRole(v, input.Role ?? Roles.Staff);
        var team = CheckTeam(v, input.Team);
        var pin = CheckPin(v, input.Pin, role);
        v.ThrowIfInvalid();

        var record = new StaffRecord
        {
            Name = name!,
            Mobile = mobile!,
            Role = role!,
            Team = team!,
            Active = true,
            Lead = input.Lead ?? false,
        };
        _signIns.SetPin(id!, record, pin!);

        // A number a manager types proves itself with a code; configuration (seeding, first run) is trusted.
        var code = ifMissing ? null : await VerifyMobileAsync(id!, record, record.Mobile, record.Name);
        if (!ifMissing)
        {
            Verifying(id!, record, code);
        }

        State.Staff[id!] = record;
        await site.WriteStateAsync();
        if (record.MobileUnverified)
        {
            TextsChanged();
        }
        else
        {
            await RegisterHandsetAsync(record.Mobile, id!, active: true);
        }

        return ToInfo(id!, record);
    }

    private static string? CheckRole(Validation v, string? role)
    {
        if (role is null || !Roles.All.Contains(role))
        {
            v.Add("role", $"must be one of: {string.Join(", ", Roles.All)}.");
            return null;
        }

        return role;
    }

    private string? CheckTeam(Validation v, string? team)
    {
        if (string.IsNullOrWhiteSpace(team) || !State.Teams.ContainsKey(team))
        {
            v.Add("team", State.Teams.Count == 0
                ? "must name a team of the site; the site has no teams yet."
                : $"must be one of the site's teams: {string.Join(", ", State.Teams.Keys.Order())}.");
            return null;
        }

        return team;
    }

    /// <summary>The shortest PIN a manager may have: a manager's account opens every staff number and the site's settings.</summary>
    public const int ManagerPinDigits = 6;

    private static string? CheckPin(Validation v, string? pin, string? role)
    {
        if (pin is null || !PinPattern().IsMatch(pin))
        {
            v.Add("pin", role == Roles.Manager ? $"must be {ManagerPinDigits}–8 digits for a manager." : "must be 4–8 digits.");
            return null;
        }

        if (role == Roles.Manager && pin.Length < ManagerPinDigits)
        {
            v.Add("pin", $"must be {ManagerPinDigits}–8 digits for a manager.");
            return null;
        }

        return pin;
    }

    private void RequireSite()
    {
        if (!State.Exists)
        {
            throw RuleViolationException.NotFound("site", $"There is no site '{SiteId}'.");
        }
    }

    private void RequireManager(Actor actor)
    {
        if (actor.Kind == Actor.SystemKind)
        {
            return;
        }

        if (!actor.IsStaff || !State.Staff.TryGetValue(actor.Id, out var staff) || !staff.Active || staff.Role != Roles.Manager)
        {
            throw RuleViolationException.Forbidden("Only a manager of this site can change its teams and staff.");
        }
    }

    // Replies from a staff member's phone are theirs: the phone's grain learns whose it is.
    private IHandsetGrain Handset(string mobile) => IHandsetGrain.For(GrainFactory, mobile);

    private int ActiveManagers() => State.Staff.Values.Count(s => s.Active && s.Role == Roles.Manager);

    private SiteInfo Info() => new(
        SiteId,
        State.Name!,
        State.TimeZone,
        State.PhoneRegion,
        [.. State.Teams.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new TeamInfo(t.Key, t.Value.Name))],
        State.Language,
        State.QuietFrom,
        State.QuietUntil);

    private static StaffInfo ToInfo(string id, StaffRecord s) =>
        new(id, s.Name, s.Mobile, s.Role, s.Team, s.Active, s.Lead, s.OptedOut, StaffSignIns.Stamp(s),
            s.MobileUnverified, s.VerificationCodes.Count > 0 ? s.VerificationCodes.Max() : null);

    internal static bool IsSlug(string? value) => value is not null && SlugPattern().IsMatch(value);

    internal static bool TryFindZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (TimeZoneNotFoundException)
        {
            return false;
        }
        catch (InvalidTimeZoneException)
        {
            return false;
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[0-9]{4,8}$")]
    private static partial Regex PinPattern();

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Registering the staff phones of site {Site} with their handsets failed; the next activation tries again")]
    private static partial void LogHandsetsNotRegistered(Microsoft.Extensions.Logging.ILogger logger, Exception exception, string site);
}
