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
    /// <summary>The front desk's one-tap request types by id; null until the site has its own (the defaults show).</summary>
    [Id(6)] public Dictionary<string, RequestTypeRecord>? RequestTypes { get; set; }
    [Id(7)] public TimeOnly? QuietFrom { get; set; }
    [Id(8)] public TimeOnly? QuietUntil { get; set; }
    /// <summary>Every staff phone's handset knows its person (false: some registration may be missing; the next activation makes sure).</summary>
    [Id(9)] public bool HandsetsRegistered { get; set; }
    /// <summary>The site's own texts (staff phone verification codes), newest last; see <see cref="StaffPhones"/>.</summary>
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
    /// <summary>Wrong PINs in a row from anywhere but the site's enrolled devices, and the lock they started.</summary>
    [Id(6)] public int FailedPins { get; set; }
    [Id(7)] public DateTimeOffset? LockedUntil { get; set; }
    [Id(8)] public bool Lead { get; set; }
    /// <summary>The phone texted STOP, as its handset last told the site (the handset is the truth).</summary>
    [Id(9)] public bool OptedOut { get; set; }
    /// <summary>Wrong PINs in a row on the site's enrolled devices, and the lock they started (counted apart).</summary>
    [Id(10)] public int DeviceFailedPins { get; set; }
    [Id(11)] public DateTimeOffset? DeviceLockedUntil { get; set; }
    /// <summary>Goes up with every new PIN: part of the security stamp that ends the person's other sign-ins.</summary>
    [Id(12)] public int PinVersion { get; set; }
    /// <summary>How many digits the PIN has (0: not known yet, set before this was kept); managers need 6.</summary>
    [Id(13)] public int PinDigits { get; set; }
    /// <summary>
    /// The person's sign-ins that hold, newest last (at most <see cref="StaffSignIns.MaxSessions"/>): signing out
    /// ends one, a new PIN, another role or deactivation ends them all.
    /// </summary>
    [Id(14)] public List<string> Sessions { get; set; } = [];
    /// <summary>
    /// A manager set this mobile and the phone has not yet answered its code (VERIFY): it gets no
    /// staff texts and does not act as the person. Numbers set before verification existed, or from
    /// configuration, count as verified.
    /// </summary>
    [Id(15)] public bool MobileUnverified { get; set; }
    /// <summary>When verification codes were texted in the last day (limits how often a manager can text a number).</summary>
    [Id(16)] public List<DateTimeOffset> VerificationCodes { get; set; } = [];
}
