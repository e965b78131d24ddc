namespace Commitments.Grains.Sites;

/// <summary>
/// <see cref="MaxFailures"/> wrong PINs lock a person for <see cref="Duration"/>, counted apart on enrolled devices so outside
/// guessing never locks the site's own tablets. Unknown codes are counted too, so a lock never reveals whether a code exists.
/// </summary>
internal sealed class PinLockout(TimeProvider time)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Duration = TimeSpan.FromMinutes(5);

    // Oldest forgotten first.
    private const int MaxUnknownCodes = 1000;
    private readonly Dictionary<string, PinLock> _unknown = new(StringComparer.Ordinal);

    /// <summary>How long <paramref name="staff"/> is locked on this kind of device, or null.</summary>
    public TimeSpan? LockedFor(StaffRecord staff, bool enrolledDevice) => Remaining(Of(staff, enrolledDevice));

    /// <summary>How long a code that is nobody's is locked, or null.</summary>
    public TimeSpan? LockedFor(string unknownCode) => _unknown.TryGetValue(unknownCode, out var known) ? Remaining(known) : null;

    /// <summary>Counts a wrong PIN; returns the lock it starts, or null.</summary>
    public TimeSpan? Failed(StaffRecord staff, bool enrolledDevice)
    {
        var next = Fail(Of(staff, enrolledDevice));
        Store(staff, enrolledDevice, next);
        return Remaining(next);
    }

    /// <summary>Counts a wrong PIN for a code that is nobody's; returns the lock it starts, or null.</summary>
    public TimeSpan? Failed(string unknownCode)
    {
        if (!_unknown.ContainsKey(unknownCode) && _unknown.Count >= MaxUnknownCodes)
        {
            _unknown.Remove(_unknown.MinBy(u => u.Value.LockedUntil ?? DateTimeOffset.MinValue).Key);
        }

        var next = Fail(_unknown.GetValueOrDefault(unknownCode));
        _unknown[unknownCode] = next;
        return Remaining(next);
    }

    /// <summary>A right PIN (or a new one) clears this kind of device's count.</summary>
    public static void Succeeded(StaffRecord staff, bool enrolledDevice) => Store(staff, enrolledDevice, default);

    private PinLock Fail(PinLock current)
    {
        // A lock that ran out starts the count again.
        var failures = current.LockedUntil is not null ? 1 : current.Failures + 1;
        return failures >= MaxFailures
            ? new PinLock(0, time.GetUtcNow() + Duration)
            : new PinLock(failures, null);
    }

    private TimeSpan? Remaining(PinLock state)
    {
        var now = time.GetUtcNow();
        return state.LockedUntil is { } until && until > now ? until - now : null;
    }

    private static PinLock Of(StaffRecord staff, bool enrolledDevice) => enrolledDevice
        ? new PinLock(staff.DeviceFailedPins, staff.DeviceLockedUntil)
        : new PinLock(staff.FailedPins, staff.LockedUntil);

    private static void Store(StaffRecord staff, bool enrolledDevice, PinLock state)
    {
        if (enrolledDevice)
        {
            (staff.DeviceFailedPins, staff.DeviceLockedUntil) = (state.Failures, state.LockedUntil);
        }
        else
        {
            (staff.FailedPins, staff.LockedUntil) = (state.Failures, state.LockedUntil);
        }
    }

    private readonly record struct PinLock(int Failures, DateTimeOffset? LockedUntil);
}
