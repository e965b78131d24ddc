using Commitments.Grains.Common;
using Commitments.Grains.Commitments;

namespace Commitments.Grains.Texts;

/// <summary>What a customer's reply does to their promise: recorded, a rating, or "not done" reopens it.</summary>
internal static class CustomerReplies
{
    private static readonly string[] NotDone = ["NOT DONE", "NOTDONE", "NOT DONE!", "NO"];

    public static Actor Customer { get; } = new(Actor.CustomerKind, "customer");

    /// <summary>
    /// The reply recorded, and what the customer is answered; false when a text past the cap is dropped.
    /// <c>reopen</c> is the promise's reopen rule (a new deadline, a reason), with the customer as the actor.
    /// </summary>
    public static async Task<(bool Recorded, string? Answer)> ReadAsync(
        IPromise promise, string body, bool viaStatusPage, Func<DateTimeOffset, string, Task> reopen)
    {
        var state = promise.State;
        var now = promise.Now;
        if (viaStatusPage)
        {
            var lastHour = state.History
                .Where(e => e.Type == EventTypes.CustomerReplied && e.At > now - TimeSpan.FromHours(1) && e.Read().ViaStatusPage)
                .ToList();
            if (lastHour.Count >= PromiseCaps.StatusPageMessagesPerHour)
            {
                throw new RuleViolationException(RuleKind.TooManyAttempts, "message",
                    "Thank you, we have your messages. Write again in an hour, or call the front desk.")
                {
                    RetryAfterSeconds = (int)Math.Ceiling((lastHour.Min(e => e.At) + TimeSpan.FromHours(1) - now).TotalSeconds),
                };
            }
        }

        if (!PromiseCaps.RoomForCustomer(state))
        {
            // A text past the cap is not recorded (nor forwarded); the status page says so.
            return viaStatusPage
                ? throw new RuleViolationException(
                    RuleKind.Conflict, "message", "This request has all the messages it can hold. Please call the front desk.")
                : (false, null);
        }

        var trimmed = body.Trim();
        promise.Append(
            Customer,
            now,
            EventTypes.CustomerReplied,
            EventDetails.CustomerReplied(trimmed.Length <= 1000 ? trimmed : trimmed[..1000], viaStatusPage));

        var site = await promise.RequireSite();
        var language = TextTemplates.Pick(state.Customer?.Language, site.Language);
        if (state.Status == CommitmentStatus.Done && trimmed.Length == 1 && trimmed[0] is >= '1' and <= '5')
        {
            var rating = trimmed[0] - '0';
            state.Rating = rating;
            promise.Append(Customer, now, EventTypes.Rated, EventDetails.Rated(rating));
            return (true, TextTemplates.Render("ReplyRated", language, new Dictionary<string, string> { ["rating"] = trimmed }));
        }

        if (state.Status == CommitmentStatus.Done && NotDone.Contains(trimmed.ToUpperInvariant().TrimEnd('.', '!'))
            && state.History.Count(e => e.Type is EventTypes.Rescheduled or EventTypes.Reopened) < PromiseCaps.Deadlines)
        {
            var staff = await promise.StaffDirectory();
            await reopen(now + TimeSpan.FromMinutes(30), "The customer replied that it is not done.");
            return (true, TextTemplates.Render("ReplyReopened", language, new Dictionary<string, string>
            {
                ["owner"] = TextTemplates.Name(staff.GetValueOrDefault(state.Owner)?.Name ?? state.Owner),
                ["due"] = TextTemplates.When(state.DueAt, now, site.Zone, language),
            }));
        }

        return (true, null);
    }
}
