namespace Commitments.Grains.Sites;

/// <summary>Staff roles: front desk makes promises, staff own them, managers run the site.</summary>
public static class Roles
{
    public const string FrontDesk = "frontdesk";
    public const string Staff = "staff";
    public const string Manager = "manager";

    public static readonly string[] All = [FrontDesk, Staff, Manager];
}

/// <summary>What a new site starts with (seeding and first-run configuration).</summary>
[GenerateSerializer, Immutable, Alias("commitments.site-setup")]
public sealed record SiteSetup(
    [property: Id(0)] string Name,
    [property: Id(1)] string TimeZone,
    [property: Id(2)] string PhoneRegion,
    [property: Id(3)] string Language = "en");

[GenerateSerializer, Immutable, Alias("commitments.site-info")]
public sealed record SiteInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string TimeZone,
    [property: Id(3)] string PhoneRegion,
    [property: Id(4)] IReadOnlyList<TeamInfo> Teams,
    // The language of customer texts when the customer has none we speak (en or es).
    [property: Id(5)] string Language = "en",
    // Customers are not texted good news between these (site time); equal means never quiet.
    [property: Id(6)] TimeOnly? QuietFrom = null,
    [property: Id(7)] TimeOnly? QuietUntil = null)
{
    public static readonly TimeOnly DefaultQuietFrom = new(22, 0);
    public static readonly TimeOnly DefaultQuietUntil = new(8, 0);

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}

[GenerateSerializer, Immutable, Alias("commitments.team-info")]
public sealed record TeamInfo([property: Id(0)] string Id, [property: Id(1)] string Name);

/// <summary>A staff member as others may see them (never the PIN hash).</summary>
[GenerateSerializer, Immutable, Alias("commitments.staff-info")]
public sealed record StaffInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Mobile,
    [property: Id(3)] string Role,
    [property: Id(4)] string Team,
    [property: Id(5)] bool Active,
    // A team lead: escalation texts the owner's team leads at the levels that name them.
    [property: Id(6)] bool Lead = false,
    // As the handset last told the site. Escalation asks the handset before skipping anyone, so a lost update never
    // silences a level (Twilio refuses an opted-out phone anyway).
    [property: Id(7)] bool OptedOut = false,
    // Changes when all their sign-ins must end: new PIN, role, deactivation.
    [property: Id(8)] string SecurityStamp = "",
    // Unverified mobile: no staff texts, and its replies do not act as the person.
    [property: Id(9)] bool MobileUnverified = false,
    // When the latest verification code was texted (null: none was).
    [property: Id(10)] DateTimeOffset? VerificationSentAt = null)
{
    public bool IsManager => Role == Roles.Manager;
}

/// <summary>A new team, or a new name for one.</summary>
[GenerateSerializer, Immutable, Alias("commitments.team-input")]
public sealed record TeamInput([property: Id(0)] string? Id, [property: Id(1)] string? Name);

/// <summary>A new staff member, or changes to one (null = unchanged on update).</summary>
[GenerateSerializer, Immutable, Alias("commitments.staff-input")]
public sealed record StaffInput(
    [property: Id(0)] string? Id,
    [property: Id(1)] string? Name,
    [property: Id(2)] string? Mobile,
    [property: Id(3)] string? Role,
    [property: Id(4)] string? Team,
    [property: Id(5)] string? Pin,
    [property: Id(6)] bool? Active = null,
    [property: Id(7)] bool? Lead = null);

[GenerateSerializer, Alias("commitments.signin-outcome")]
public enum SignInOutcome
{
    SignedIn = 0,
    WrongPin = 1,
    LockedOut = 2,
    // 3 is retired: unknown codes answer WrongPin, so nothing tells whether a code exists.
}

[GenerateSerializer, Immutable, Alias("commitments.signin-result")]
public sealed record SignInResult(
    [property: Id(0)] SignInOutcome Outcome,
    [property: Id(1)] StaffInfo? Staff,
    [property: Id(2)] TimeSpan? RetryAfter,
    // Holds until the person signs out of it (or all their sign-ins end).
    [property: Id(3)] string? Session = null);

/// <summary>A manager's changes to the site's settings (null = unchanged).</summary>
[GenerateSerializer, Immutable, Alias("commitments.site-settings-input")]
public sealed record SiteSettingsInput(
    [property: Id(0)] string? Name,
    [property: Id(1)] string? TimeZone,
    [property: Id(2)] string? PhoneRegion,
    [property: Id(3)] string? Language,
    [property: Id(4)] string? QuietFrom,
    [property: Id(5)] string? QuietUntil);
