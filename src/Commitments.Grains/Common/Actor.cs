namespace Commitments.Grains.Common;

/// <summary>Who did something. Staff act by their id; the customer and the system appear in history too.</summary>
[GenerateSerializer, Immutable, Alias("commitments.actor")]
public sealed record Actor([property: Id(0)] string Kind, [property: Id(1)] string Id)
{
    public const string StaffKind = "staff";
    public const string CustomerKind = "customer";
    public const string SystemKind = "system";

    public static Actor Staff(string staffId) => new(StaffKind, staffId);

    public static Actor System { get; } = new(SystemKind, "system");

    public bool IsStaff => Kind == StaffKind;

    public override string ToString() => IsStaff ? Id : $"{Kind}:{Id}";
}
