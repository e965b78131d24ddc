using Microsoft.AspNetCore.Identity;

namespace Commitments.Grains.Sites;

/// <summary>
/// Sign-in rules: PIN check with locks (<see cref="PinLockout"/>), security stamp, sessions. The site grain writes the changes.
/// </summary>
internal sealed class StaffSignIns(TimeProvider time, IPasswordHasher<string> hasher)
{
    /// <summary>Sign-ins kept per person; a new one past this ends the oldest.</summary>
    public const int MaxSessions = 20;

    private readonly PinLockout _locks = new(time);

    // Checked for unknown codes so the answer takes as long as a real check.
    private string? _decoyHash;

    /// <summary>Checks <paramref name="pin"/>; <c>Write</c>: the record changed and is to be written, whatever the outcome.</summary>
    public (SignInOutcome Outcome, TimeSpan? RetryAfter, string? Session, bool Write) Check(
        string staffId, StaffRecord? staff, string pin, bool enrolledDevice)
    {
        if (staff is not { Active: true })
        {
            // Same answer, timing and lock as a wrong PIN: nothing tells whether the code exists.
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

    /// <summary>Changes when all their sign-ins must end: new PIN, role, deactivation.</summary>
    public static string Stamp(StaffRecord staff) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{staff.PinVersion}.{staff.Role}.{(staff.Active ? 1 : 0)}");

    /// <summary>Whether a sign-in holds: person active, stamp theirs, session not ended.</summary>
    public static bool Holds(StaffRecord staff, string session, string stamp) =>
        staff.Active && Stamp(staff) == stamp && staff.Sessions.Contains(session);
}
