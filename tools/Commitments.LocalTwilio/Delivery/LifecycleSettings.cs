namespace Commitments.LocalTwilio.Delivery;

/// <summary>How status callbacks leave the fake: as they happen, in reverse order at the end, twice each, or not at all.</summary>
internal enum CallbackMode
{
    Normal,
    Reorder,
    Duplicate,
    Drop,
}

/// <summary>The lifecycle a new outbound message gets; captured when it is created.</summary>
internal sealed record LifecycleSettings(bool Auto, TimeSpan StepDelay, string FinalStatus, int? ErrorCode)
{
    public static readonly string[] FinalStatuses = ["delivered", "undelivered", "failed", "sent"];

    public static LifecycleSettings From(LifecycleOptions options) => new(options.Auto, options.StepDelay, "delivered", null);

    /// <summary>The statuses after <paramref name="initial"/>: accepted → queued → sending → sent → delivered|undelivered, or sending → failed.</summary>
    public IReadOnlyList<string> StepsAfter(string initial)
    {
        List<string> steps = initial is "accepted" or "scheduled" ? ["queued", "sending"] : ["sending"];
        if (FinalStatus == "failed")
        {
            steps.Add("failed");
            return steps;
        }
        steps.Add("sent");
        if (FinalStatus != "sent")
        {
            steps.Add(FinalStatus);
        }
        return steps;
    }
}
