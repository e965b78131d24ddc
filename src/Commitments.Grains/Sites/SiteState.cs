using Commitments.Grains.Escalation;

namespace Commitments.Grains.Sites;

[GenerateSerializer, Alias("commitments.site-state")]
public sealed class SiteState
{
    [Id(0)] public string? Name { get; set; }
    [Id(1)] public string TimeZone { get; set; } = "UTC";
    [Id(2)] public string PhoneRegion { get; set; } = "US";
    [Id(3)] public Dictionary<string, TeamRecord> Teams { get; set; } = [];
    [Id(4)] public Dictionary<string, StaffRecord> Staff { get; set; } = [];
    [Id(5)] public string Language { get; set; } = "en";
    /// <summary>One-tap request types by id; null means the defaults.</summary>
    [Id(6)] public Dictionary<string, RequestTypeRecord>? RequestTypes { get; set; }
    [Id(7)] public TimeOnly? QuietFrom { get; set; }
    [Id(8)] public TimeOnly? QuietUntil { get; set; }
    /// <summary>False: some registration may be missing; the next activation makes sure.</summary>
    [Id(9)] public bool HandsetsRegistered { get; set; }
    /// <summary>Staff phone verification codes, newest last; see <see cref="StaffPhones"/>.</summary>
    [Id(10)] public List<Texts.OutboundText> Texts { get; set; } = [];

    public bool Exists => Name is not null;
}

[GenerateSerializer, Alias("commitments.team-record")]
public sealed class TeamRecord
{
    [Id(0)] public string Name { get; set; } = "";
    /// <summary>The team's escalation policy; null means the defaults.</summary>
    [Id(1)] public EscalationPolicy? Policy { get; set; }
}

[GenerateSerializer, Alias("commitments.staff-record")]
public sealed class StaffRecord
{
    [Id(0)] public string Name { get; set; } = "";
    [Id(1)] public string Mobile { get; set; } = "";
    [Id(2)] public string Role { get; set; } = Roles.Staff;
    [Id(3)] public string Team { get; set; } = "";
    /// <summary>ASP.NET Core PasswordHasher output; the PIN itself is never stored.</summary>
    [Id(4)] public string PinHash { get; set; } = "";
    [Id(5)] public bool Active { get; set; } = true;
    /// <summary>Wrong PINs in a row off the site's enrolled devices, and their lock.</summary>
    [Id(6)] public int FailedPins { get; set; }
    [Id(7)] public DateTimeOffset? LockedUntil { get; set; }
    [Id(8)] public bool Lead { get; set; }
    /// <summary>As the handset (the truth) last told the site.</summary>
    [Id(9)] public bool OptedOut { get; set; }
    /// <summary>Wrong PINs in a row on enrolled devices (counted apart), and their lock.</summary>
    [Id(10)] public int DeviceFailedPins { get; set; }
    [Id(11)] public DateTimeOffset? DeviceLockedUntil { get; set; }
    /// <summary>Bumped per new PIN: part of the security stamp that ends other sign-ins.</summary>
    [Id(12)] public int PinVersion { get; set; }
    /// <summary>PIN digits (0: unknown); managers need 6.</summary>
    [Id(13)] public int PinDigits { get; set; }
    /// <summary>
    /// Live sign-ins, newest last (at most <see cref="StaffSignIns.MaxSessions"/>); a new PIN, role or deactivation ends them all.
    /// </summary>
    [Id(14)] public List<string> Sessions { get; set; } = [];
    /// <summary>
    /// Not yet answered its code: no staff texts, does not act as the person. Older or configured numbers count as verified.
    /// </summary>
    [Id(15)] public bool MobileUnverified { get; set; }
    /// <summary>Codes texted in the last day, to limit how often a number is texted.</summary>
    [Id(16)] public List<DateTimeOffset> VerificationCodes { get; set; } = [];
}
