using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Index;
using Commitments.Grains.Texts;
using Microsoft.AspNetCore.Identity;

namespace Commitments.Grains.Sites;

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
            // Idempotent: re-registers with the registry (record lost or older) and, once, the staff phones with their handsets.
            await GrainFactory.GetGrain<ISiteRegistryGrain>(SiteRegistryGrain.Key).Add(SiteId);
            if (!State.HandsetsRegistered)
            {
                // Not every activation: after a restart it would read thousands of phones just when promises need storage.
                this.RegisterGrainTimer(
                    RegisterHandsetsAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = true });
            }

            if (State.Staff.Values.Any(s => s.MobileUnverified && s.Active))
            {
                // A phone's answer reaches the site one way: one that was lost is found here.
                this.RegisterGrainTimer(FindVerifiedPhonesAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
            }
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

    // The site's own outbox (staff phone codes), driven by the dispatcher like a promise's.
    public Task<TextWork> BeginDueTexts(string dispatcherId) => Texts.BeginDueTexts(dispatcherId);

    public Task RecordSendOutcome(string textId, SendOutcome outcome) => Texts.RecordSendOutcome(textId, outcome);

    public Task UpdateTextStatus(string textId, string messageSid, string status, int? errorCode) =>
        Texts.UpdateTextStatus(textId, messageSid, status, errorCode);

    public Task<string?> SubmittedSid(string textId) => Task.FromResult(Texts.SubmittedSid(textId));

    public Task WakeTexts()
    {
        Texts.Wake();
        return Task.CompletedTask;
    }

    private SiteTexts? _texts;

    private SiteTexts Texts => _texts ??= new SiteTexts(time, _phones, GrainFactory, SiteId, textSignal, () => State, () => site.WriteStateAsync());

    private void TextsChanged() => Texts.Changed();

    private StaffHandsets? _handsets;

    private StaffHandsets Handsets => _handsets ??= new StaffHandsets(_phones, GrainFactory, SiteId, () => State, () => site.WriteStateAsync());

    private Task<OutboundText?> VerifyMobileAsync(string staffId, StaffRecord person, string mobile, string name) =>
        Handsets.RequestCodeAsync(staffId, person, mobile, name);

    private void Verifying(string staffId, StaffRecord person, OutboundText? code) => Handsets.Apply(staffId, person, code);

    private Task RegisterHandsetAsync(string mobile, string staffId, bool active) => Handsets.RegisterAsync(mobile, staffId, active);

    // Interleaved: the site keeps answering the promises while its phones are registered.
    private async Task RegisterHandsetsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Handsets.RegisterAllAsync();

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

    private async Task FindVerifiedPhonesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Handsets.FindVerifiedAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogHandsetsNotRegistered(logger, ex, SiteId);
        }
    }

    public async Task StaffPhoneOptedOut(string staffId, string handsetKey, bool optedOut)
    {
        // One way from the handset (the site waits on it, never the reverse); stale news of an old phone is dropped.
        if (State.Staff.TryGetValue(staffId, out var record) && IHandsetGrain.KeyFor(record.Mobile) == handsetKey && record.OptedOut != optedOut)
        {
            record.OptedOut = optedOut;
            await site.WriteStateAsync();
        }
    }

    public async Task<SiteInfo> Ensure(SiteSetup setup)
    {
        if (State.Exists)
        {
            return Info();
        }

        var v = new Validation();
        if (!SiteRules.IsSlug(SiteId))
        {
            v.Add("site", "must be a slug: lower-case letters, digits and dashes, 1–40 characters.");
        }

        var name = v.Text("name", setup.Name, 1, 100);
        SiteRules.CheckZone(v, setup.TimeZone);
        SiteRules.CheckRegion(v, setup.PhoneRegion);
        SiteRules.CheckLanguage(v, setup.Language);
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
        var zone = SiteRules.CheckZone(v, input.TimeZone?.Trim() ?? State.TimeZone);
        var region = SiteRules.CheckRegion(v, input.PhoneRegion?.Trim().ToUpperInvariant() ?? State.PhoneRegion);
        var language = SiteRules.CheckLanguage(v, input.Language?.Trim() ?? State.Language);

        var quietFrom = SiteRules.ParseTime(v, "quietFrom", input.QuietFrom) ?? State.QuietFrom;
        var quietUntil = SiteRules.ParseTime(v, "quietUntil", input.QuietUntil) ?? State.QuietUntil;
        v.ThrowIfInvalid();
        (State.Name, State.TimeZone, State.PhoneRegion, State.Language, State.QuietFrom, State.QuietUntil) =
            (name, zone, region, language, quietFrom, quietUntil);
        await site.WriteStateAsync();
        return Info();
    }

    public Task<SiteInfo?> GetInfo() => Task.FromResult(State.Exists ? Info() : null);

    public async Task<TeamInfo> UpsertTeam(Actor actor, TeamInput input)
    {
        RequireSite();
        RequireManager(actor);
        var v = new Validation();
        var id = input.Id?.Trim();
        if (!SiteRules.IsSlug(id))
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
        var role = input.Role is null ? existing.Role : SiteRules.CheckRole(v, input.Role);
        var team = input.Team is null ? existing.Team : SiteRules.CheckTeam(v, input.Team, State.Teams);
        var pin = input.Pin is null ? null : SiteRules.CheckPin(v, input.Pin, role);
        if (pin is null && input.Pin is null && role == Roles.Manager && existing.PinDigits < SiteRules.ManagerPinDigits)
        {
            // Their PIN may be short (its length is known only from when it was set or last used).
            v.Add("pin", $"a manager needs a PIN of {SiteRules.ManagerPinDigits}–8 digits: set one with the change.");
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

    /// <summary>Open pages re-check the person's sign-ins, via the index's change feed.</summary>
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
        if (!SiteRules.IsSlug(id))
        {
            v.Add("id", "must be a slug: lower-case letters, digits and dashes, 1–40 characters.");
        }
        else if (State.Staff.ContainsKey(id!))
        {
            throw new RuleViolationException(RuleKind.Conflict, "id", $"A staff member '{id}' already exists at this site.");
        }

        var name = v.Text("name", input.Name, 1, 100);
        var mobile = Phone.Normalize(v, "mobile", input.Mobile, State.PhoneRegion, required: true);
        var role = SiteRules.CheckRole(v, input.Role ?? Roles.Staff);
        var team = SiteRules.CheckTeam(v, input.Team, State.Teams);
        var pin = SiteRules.CheckPin(v, input.Pin, role);
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

    [Microsoft.Extensions.Logging.LoggerMessage(
        Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Registering the staff phones of site {Site} with their handsets failed; the next activation tries again")]
    private static partial void LogHandsetsNotRegistered(Microsoft.Extensions.Logging.ILogger logger, Exception exception, string site);
}
