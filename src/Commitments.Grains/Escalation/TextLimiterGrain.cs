using Microsoft.Extensions.Options;

namespace Commitments.Grains.Escalation;

/// <summary>Limits on escalation texts to one person (section "Escalation").</summary>
public sealed class EscalationLimits
{
    /// <summary>At most one escalation text per person in this long (default 1 minute); more are held and sent as one bundle.</summary>
    public TimeSpan PerPersonInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>One escalation text (reminder, overdue, stalled handoff) for one person.</summary>
[GenerateSerializer, Immutable, Alias("commitments.limited-text")]
public sealed record LimitedText(
    [property: Id(0)] string Site,
    [property: Id(1)] Guid CommitmentId,
    [property: Id(2)] string TextId,
    [property: Id(3)] string Code)
{
    public string Key => $"{Site}/{CommitmentId:N}/{TextId}";
}

/// <summary>
/// What the limiter says about a text: send it now (alone, or carrying a bundle of codes), hold it
/// until <see cref="Until"/>, or nothing to send because another promise's text carried it.
/// </summary>
[GenerateSerializer, Immutable, Alias("commitments.limit-decision")]
public sealed record LimitDecision(
    [property: Id(0)] string Outcome,
    [property: Id(1)] DateTimeOffset? Until = null,
    [property: Id(2)] IReadOnlyList<string>? Codes = null,
    [property: Id(3)] string? Carrier = null,
    [property: Id(4)] DateTimeOffset? LastSentAt = null)
{
    public const string Send = "send";
    public const string Hold = "hold";
    public const string Bundled = "bundled";
}

[GenerateSerializer, Alias("commitments.limiter-state")]
public sealed class TextLimiterState
{
    [Id(0)] public DateTimeOffset? LastSentAt { get; set; }
    [Id(1)] public List<LimitedText> Held { get; set; } = [];
    /// <summary>Decisions already given (by text key), so asking again (a retry, a crash) gets the same answer.</summary>
    [Id(2)] public Dictionary<string, LimitDecision> Decisions { get; set; } = [];
    [Id(3)] public List<string> DecisionOrder { get; set; } = [];
}

/// <summary>
/// The per-person limit on escalation texts: one a minute; texts that come due meanwhile are held
/// and then go as one text listing their codes. Keyed like the handset (a hash of the number), and
/// separate from it: it never calls another grain, so a promise may call it at any time. Its state
/// is written behind (at most a second later), off the path of a burst of escalations: a crash in
/// that second can let one extra text through, or send a held text alone; it never sends a text twice.
/// </summary>
public interface ITextLimiterGrain : IGrainWithStringKey
{
    static ITextLimiterGrain For(IGrainFactory grains, string e164) =>
        grains.GetGrain<ITextLimiterGrain>("l-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(e164)))[..32]);

    /// <summary>A new escalation text: send now, or hold until the person's minute is over.</summary>
    Task<LimitDecision> Claim(LimitedText text);

    /// <summary>A held text's time came: the first to ask carries every held code in one text; the rest were bundled.</summary>
    Task<LimitDecision> Release(LimitedText text);

    /// <summary>A held text is no longer wanted (its promise was done or cancelled).</summary>
    Task Withdraw(LimitedText text);
}

public sealed class TextLimiterGrain(
    [PersistentState(TextLimiterGrain.StateName)] IPersistentState<TextLimiterState> limiter,
    TimeProvider time,
    IOptions<EscalationLimits>? options = null) : Grain, ITextLimiterGrain
{
    public const string StateName = "limiter";
    private const int RememberedDecisions = 200;

    private TextLimiterState State => limiter.State;

    private bool _dirty;
    private IGrainTimer? _flush;

    /// <summary>How long a change may wait before it is written.</summary>
    public static readonly TimeSpan WriteBehind = TimeSpan.FromSeconds(1);

    private void Changed()
    {
        _dirty = true;
        _flush ??= this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions(WriteBehind, Timeout.InfiniteTimeSpan) { Interleave = false, KeepAlive = true });
    }

    // Not the timer's token: disposing the one-shot timer cancels it, and the write must go through.
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var timer = _flush;
        _flush = null;
        if (_dirty)
        {
            _dirty = false;
            await limiter.WriteStateAsync(CancellationToken.None);
        }

        timer?.Dispose();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    private TimeSpan Interval => options?.Value.PerPersonInterval ?? TimeSpan.FromMinutes(1);

    public Task<LimitDecision> Claim(LimitedText text) => Task.FromResult(Decide(text));

    private LimitDecision Decide(LimitedText text)
    {
        if (State.Decisions.TryGetValue(text.Key, out var earlier))
        {
            return earlier;
        }

        var now = time.GetUtcNow();
        LimitDecision decision;
        if (State.Held.Count == 0 && (State.LastSentAt is not { } last || now - last >= Interval))
        {
            // Kept in memory only: a text let through is the common case, and forgetting it in a
            // crash costs at most one extra text; only holds (which must be released) are written.
            decision = new LimitDecision(LimitDecision.Send, Codes: [text.Code]);
            State.LastSentAt = now;
            Remember(text.Key, decision);
            return decision;
        }
        else
        {
            var until = State.LastSentAt is { } sent && sent + Interval > now ? sent + Interval : now;
            decision = new LimitDecision(LimitDecision.Hold, until, LastSentAt: State.LastSentAt);
            State.Held.Add(text);
        }

        Remember(text.Key, decision);
        Changed();
        return decision;
    }

    public Task<LimitDecision> Release(LimitedText text) => Task.FromResult(Free(text));

    private LimitDecision Free(LimitedText text)
    {
        if (State.Decisions.TryGetValue(text.Key, out var earlier) && earlier.Outcome != LimitDecision.Hold)
        {
            return earlier;
        }

        var now = time.GetUtcNow();
        if (!State.Held.Any(h => h.Key == text.Key))
        {
            // Not held here (the limiter's record was lost): send it alone rather than never.
            return new LimitDecision(LimitDecision.Send, Codes: [text.Code]);
        }

        if (State.LastSentAt is { } last && last + Interval > now)
        {
            return new LimitDecision(LimitDecision.Hold, last + Interval, LastSentAt: last);
        }

        // This text carries every held code (its own first); the others went with it.
        IReadOnlyList<string> codes = [.. new[] { text.Code }.Concat(State.Held.Select(h => h.Code)).Distinct()];
        var carried = new LimitDecision(LimitDecision.Send, Codes: codes);
        foreach (var other in State.Held.Where(h => h.Key != text.Key))
        {
            Remember(other.Key, new LimitDecision(LimitDecision.Bundled, Carrier: text.Code));
        }

        Remember(text.Key, carried);
        State.Held.Clear();
        State.LastSentAt = now;
        Changed();
        return carried;
    }

    public Task Withdraw(LimitedText text)
    {
        if (State.Held.RemoveAll(h => h.Key == text.Key) > 0)
        {
            Changed();
        }

        return Task.CompletedTask;
    }

    private void Remember(string key, LimitDecision decision)
    {
        if (!State.Decisions.ContainsKey(key))
        {
            State.DecisionOrder.Add(key);
        }

        State.Decisions[key] = decision;
        while (State.DecisionOrder.Count > RememberedDecisions)
        {
            State.Decisions.Remove(State.DecisionOrder[0]);
            State.DecisionOrder.RemoveAt(0);
        }
    }
}
