using Microsoft.Extensions.Options;

namespace Commitments.Grains.Escalation;

/// <summary>Limits on escalation texts to one person (section "Escalation").</summary>
public sealed class EscalationLimits
{
    /// <summary>At most one escalation text per person in this long (default 1 minute); more are held and bundled.</summary>
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
/// Send now (alone or carrying a bundle of codes), hold until <see cref="Until"/>, or nothing (another text carried it).
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

/// <summary>One person's limit: last escalation text sent, what is held, and the answers given.</summary>
[GenerateSerializer, Alias("commitments.limiter-state")]
public sealed class TextLimiterState
{
    [Id(0)] public DateTimeOffset? LastSentAt { get; set; }
    [Id(1)] public List<LimitedText> Held { get; set; } = [];
    /// <summary>Decisions already given (by text key), so asking again (a retry, a crash) gets the same answer.</summary>
    [Id(2)] public Dictionary<string, LimitDecision> Decisions { get; set; } = [];
    [Id(3)] public List<string> DecisionOrder { get; set; } = [];
}

/// <summary>Only people with something held (or bundled), which must survive a restart.</summary>
[GenerateSerializer, Alias("commitments.site-limiter-state")]
public sealed class SiteTextLimiterState
{
    /// <summary>By person (a hash of the number).</summary>
    [Id(0)] public Dictionary<string, TextLimiterState> People { get; set; } = [];
}

/// <summary>
/// Per-person escalation limit, one grain per site so a burst costs one read per site. It never calls another grain, so a
/// promise may call it any time. Only holds are written, a second behind: a crash then can let one extra text through or
/// send a held text alone, never a text twice.
/// </summary>
public interface ITextLimiterGrain : IGrainWithStringKey
{
    static ITextLimiterGrain For(IGrainFactory grains, string site) => grains.GetGrain<ITextLimiterGrain>(site);

    /// <summary>A hash of the number, so no phone numbers are in state or logs.</summary>
    static string Person(string e164) => Common.PhoneKeys.Of(e164);

    /// <summary>A new escalation text for <paramref name="person"/>: send now, or hold until the person's minute is over.</summary>
    Task<LimitDecision> Claim(string person, LimitedText text);

    /// <summary>A held text's time came: the first to ask carries every held code; the rest were bundled.</summary>
    Task<LimitDecision> Release(string person, LimitedText text);

    /// <summary>A held text is no longer wanted (its promise was done or cancelled).</summary>
    Task Withdraw(string person, LimitedText text);
}

public sealed class TextLimiterGrain(
    [PersistentState(TextLimiterGrain.StateName)] IPersistentState<SiteTextLimiterState> limiter,
    TimeProvider time,
    IOptions<EscalationLimits>? options = null) : Grain, ITextLimiterGrain
{
    public const string StateName = "limiter";
    private const int RememberedDecisions = 200;

    // Everyone this activation knows of; what is stored is the part that must outlive it.
    private Dictionary<string, TextLimiterState> People => limiter.State.People;

    private bool _dirty;
    private IGrainTimer? _flush;

    /// <summary>How long a change may wait before it is written.</summary>
    public static readonly TimeSpan WriteBehind = TimeSpan.FromSeconds(1);

    private TextLimiterState Of(string person)
    {
        if (!People.TryGetValue(person, out var state))
        {
            PruneIdle();
            People[person] = state = new TextLimiterState();
        }

        return state;
    }

    // Forget idle people so a busy site's limiter stays small.
    private DateTimeOffset _prunedAt;

    private void PruneIdle()
    {
        var now = time.GetUtcNow();
        if (now - _prunedAt < Interval || People.Count < 1000)
        {
            return;
        }

        _prunedAt = now;
        foreach (var idle in People
            .Where(p => p.Value.Held.Count == 0 && (p.Value.LastSentAt is not { } last || now - last > Interval + Interval))
            .Select(p => p.Key).ToList())
        {
            People.Remove(idle);
        }
    }

    private void Changed()
    {
        _dirty = true;
        _flush ??= this.RegisterGrainTimer(
            FlushAsync, new GrainTimerCreationOptions(WriteBehind, Timeout.InfiniteTimeSpan) { Interleave = false, KeepAlive = true });
    }

    // Not the timer's token: disposing the one-shot timer cancels it, and the write must go through.
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var timer = _flush;
        _flush = null;
        if (_dirty)
        {
            _dirty = false;
            var all = limiter.State;
            limiter.State = new SiteTextLimiterState
            {
                People = all.People
                    .Where(p => p.Value.Held.Count > 0 || p.Value.Decisions.Values.Any(d => d.Outcome != LimitDecision.Send))
                    .ToDictionary(p => p.Key, p => p.Value),
            };
            try
            {
                await limiter.WriteStateAsync(CancellationToken.None);
            }
            finally
            {
                limiter.State = all;
            }
        }

        timer?.Dispose();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    private TimeSpan Interval => options?.Value.PerPersonInterval ?? TimeSpan.FromMinutes(1);

    public Task<LimitDecision> Claim(string person, LimitedText text) => Task.FromResult(Decide(Of(person), text));

    private LimitDecision Decide(TextLimiterState state, LimitedText text)
    {
        if (state.Decisions.TryGetValue(text.Key, out var earlier))
        {
            return earlier;
        }

        var now = time.GetUtcNow();
        LimitDecision decision;
        if (state.Held.Count == 0 && (state.LastSentAt is not { } last || now - last >= Interval))
        {
            // Memory only: losing this in a crash costs at most one extra text; only holds must be written.
            decision = new LimitDecision(LimitDecision.Send, Codes: [text.Code]);
            state.LastSentAt = now;
            Remember(state, text.Key, decision);
            return decision;
        }
        else
        {
            var until = state.LastSentAt is { } sent && sent + Interval > now ? sent + Interval : now;
            decision = new LimitDecision(LimitDecision.Hold, until, LastSentAt: state.LastSentAt);
            state.Held.Add(text);
        }

        Remember(state, text.Key, decision);
        Changed();
        return decision;
    }

    public Task<LimitDecision> Release(string person, LimitedText text) => Task.FromResult(Free(Of(person), text));

    private LimitDecision Free(TextLimiterState state, LimitedText text)
    {
        if (state.Decisions.TryGetValue(text.Key, out var earlier) && earlier.Outcome != LimitDecision.Hold)
        {
            return earlier;
        }

        var now = time.GetUtcNow();
        if (!state.Held.Any(h => h.Key == text.Key))
        {
            // Not held here (the limiter's record was lost): send it alone rather than never.
            return new LimitDecision(LimitDecision.Send, Codes: [text.Code]);
        }

        if (state.LastSentAt is { } last && last + Interval > now)
        {
            return new LimitDecision(LimitDecision.Hold, last + Interval, LastSentAt: last);
        }

        // This text carries every held code (its own first); the others went with it.
        IReadOnlyList<string> codes = [.. new[] { text.Code }.Concat(state.Held.Select(h => h.Code)).Distinct()];
        var carried = new LimitDecision(LimitDecision.Send, Codes: codes);
        foreach (var other in state.Held.Where(h => h.Key != text.Key))
        {
            Remember(state, other.Key, new LimitDecision(LimitDecision.Bundled, Carrier: text.Code));
        }

        Remember(state, text.Key, carried);
        state.Held.Clear();
        state.LastSentAt = now;
        Changed();
        return carried;
    }

    public Task Withdraw(string person, LimitedText text)
    {
        if (People.TryGetValue(person, out var state) && state.Held.RemoveAll(h => h.Key == text.Key) > 0)
        {
            Changed();
        }

        return Task.CompletedTask;
    }

    private static void Remember(TextLimiterState state, string key, LimitDecision decision)
    {
        if (!state.Decisions.ContainsKey(key))
        {
            state.DecisionOrder.Add(key);
        }

        state.Decisions[key] = decision;
        while (state.DecisionOrder.Count > RememberedDecisions)
        {
            state.Decisions.Remove(state.DecisionOrder[0]);
            state.DecisionOrder.RemoveAt(0);
        }
    }
}
