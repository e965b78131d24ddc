using System.Globalization;
using Commitments.Grains.Common;

namespace Commitments.Grains.Commitments;

/// <summary>
/// Caps well inside storage's record limit, since an unsavable promise can no longer be completed or escalated. Completing
/// and cancelling are always allowed; past a cap the answer is a 409 naming it.
/// </summary>
public static class PromiseCaps
{
    public const int Notes = 50;
    public const int Handoffs = 20;
    /// <summary>New deadlines: reschedules and reopenings together.</summary>
    public const int Deadlines = 20;
    public const int Acknowledgements = 50;
    /// <summary>Messages from the customer, by text or the status page.</summary>
    public const int CustomerMessages = 40;
    /// <summary>Status-page messages per rolling hour (one link belongs to one promise).</summary>
    public const int StatusPageMessagesPerHour = 5;
    /// <summary>Every event; escalation steps (bounded by policy) and closing still go past it.</summary>
    public const int History = 400;

    /// <summary>Throws the 409 if one more <paramref name="types"/> event would pass its cap (or <see cref="History"/>).</summary>
    public static void RequireRoom(CommitmentState state, int cap, string what, params string[] types)
    {
        if (state.History.Count(e => types.Contains(e.Type)) >= cap)
        {
            throw Full(string.Create(CultureInfo.InvariantCulture, $"This promise already has {cap} {what}, the most one promise can hold."));
        }

        if (state.History.Count >= History)
        {
            throw Full(string.Create(CultureInfo.InvariantCulture, $"This promise's history is full ({History} entries)."));
        }
    }

    /// <summary>Whether the customer may add a message now (by text: past the cap it is not recorded).</summary>
    public static bool RoomForCustomer(CommitmentState state) =>
        state.History.Count < History && state.History.Count(e => e.Type == EventTypes.CustomerReplied) < CustomerMessages;

    private static RuleViolationException Full(string message) =>
        new(RuleKind.Conflict, "commitment", message + " Complete or cancel it, and start a new promise for anything more.");
}
