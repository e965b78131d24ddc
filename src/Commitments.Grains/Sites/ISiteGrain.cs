using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Index;
using Commitments.Grains.Texts;
using Orleans.Concurrency;

namespace Commitments.Grains.Sites;

/// <summary>A site (hotel): its name, clock, phone region, teams and staff directory.</summary>
/// <remarks>Reads interleave with changes so a promise can always read the directory: no call cycle can deadlock.</remarks>
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

    /// <summary>Checks a PIN; failures from an <paramref name="enrolledDevice"/> (the site's own) are counted apart.</summary>
    Task<SignInResult> SignIn(string staffId, string pin, bool enrolledDevice = false);

    /// <summary>Ends the sign-in of <paramref name="session"/> (a copy of its cookie too); their open pages re-check.</summary>
    Task SignOut(string staffId, string session);

    /// <summary>Whether a sign-in holds: person active, stamp theirs, session not ended.</summary>
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

    /// <summary>A staff phone texted STOP (or START): kept on the person so escalation need not ask every phone.</summary>
    [OneWay]
    Task StaffPhoneOptedOut(string staffId, string handsetKey, bool optedOut);

    /// <summary>A manager texts the person a new code for their mobile, which has not answered one yet.</summary>
    Task<StaffInfo> ResendVerification(Actor actor, string staffId);

    /// <summary>The person's phone answered its code (one way; a stale message about an old phone is dropped).</summary>
    [OneWay]
    Task StaffPhoneVerified(string staffId, string handsetKey);

    /// <summary>From its index's sweep: due site texts go to this silo's dispatcher.</summary>
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
