using Microsoft.AspNetCore.Identity;

namespace Commitments.Grains.Sites;

/// <summary>
/// How people sign in at a site: the PIN check with its locks (<see cref="PinLockout"/>), the
/// security stamp, and the sign-ins (sessions) that hold. Plain rules over the site's staff records;
/// the site grain writes what they change.
/// </summary>
internal sealed class StaffSignIns(TimeProvider time, IPasswordHasher<string> hasher)
{
    /// <summary>Sign-ins kept per person; a new one past this ends the oldest.</summary>
    public const int MaxSessions = 20;

    private readonly PinLockout _locks = new(time);

    // A hash to check a PIN against when the code is nobody's: the answer then takes as long as a real check.
    private string? _decoyHash;

    /// <summary>Checks <paramref name="pin"/>; <c>Write</c>: the record changed and is to be written, whatever the outcome.</summary>
    public (SignInOutcome Outcome, TimeSpan? RetryAfter, string? Session, bool Write) Check(string staffId, StaffRecord? staff, string pin, bool enrolledDevice)
    {
        if (staff is not { Active: true })
        {
            // Answered as a wrong PIN, after as long, and locked the same way: nothing tells whether the code exists.
            if (_locks.LockedFor(staffId) is { } unknownWait)
            {
                return (SignInOutcome.LockedOut, unknownWait, null, false);
            }

            hasher.VerifyHashedPassword(staffId, _decoyHash ??= hasher.HashPassword("", "00000000"), pin);
            return _locks.Failed(staffId) is { } unknownLock
                ? (SignInOutcome.LockedOut, unknownLock, null, false)
                : (SignInOutcome.WrongPin, null, null, false);
        }

        if (_locks.LockedFor(staff, enrolledDevice) is { } wait)
        {
            return (SignInOutcome.LockedOut, wait, null, false);
        }

        var verdict = hasher.VerifyHashedPassword(staffId, staff.PinHash, pin);
        if (verdict == PasswordVerificationResult.Failed)
        {
            return _locks.Failed(staff, enrolledDevice) is { } locked
                ? (SignInOutcome.LockedOut, locked, null, true)
                : (SignInOutcome.WrongPin, null, null, true);
        }

        PinLockout.Succeeded(staff, enrolledDevice);
        staff.PinDigits = pin.Length;
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            staff.PinHash = hasher.HashPassword(staffId, pin);
        }

        var session = Guid.NewGuid().ToString("N");
        staff.Sessions.Add(session);
        if (staff.Sessions.Count > MaxSessions)
        {
            staff.Sessions.RemoveRange(0, staff.Sessions.Count - MaxSessions);
        }

        return (SignInOutcome.SignedIn, null, session, true);
    }

    /// <summary>A new PIN: its hash and length, a new stamp, and the locks cleared.</summary>
    public void SetPin(string staffId, StaffRecord staff, string pin)
    {
        staff.PinHash = hasher.HashPassword(staffId, pin);
        staff.PinDigits = pin.Length;
        staff.PinVersion++;
        PinLockout.Succeeded(staff, enrolledDevice: false);
        PinLockout.Succeeded(staff, enrolledDevice: true);
    }

    /// <summary>Changes whenever every sign-in of the person must end: a new PIN, another role, deactivation.</summary>
    public static string Stamp(StaffRecord staff) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{staff.PinVersion}.{staff.Role}.{(staff.Active ? 1 : 0)}");

    /// <summary>Whether a sign-in still holds: the person is active, the stamp is theirs, and the session was not ended.</summary>
    public static bool Holds(StaffRecord staff, string session, string stamp) =>
        staff.Active && Stamp(staff) == stamp && staff.Sessions.Contains(session);
}
