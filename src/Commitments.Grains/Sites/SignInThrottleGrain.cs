namespace Commitments.Grains.Sites;

/// <summary>
/// Failed sign-ins from one source (<see cref="Address"/> or <see cref="Site"/>): delays double past
/// <see cref="ThrottleRule.FreeFailures"/>, from <see cref="ThrottleRule.FirstDelay"/> to <see cref="ThrottleRule.MaxDelay"/>;
/// one failure wears off per <see cref="ThrottleRule.DecayEvery"/>.
/// </summary>
public interface ISignInThrottleGrain : IGrainWithStringKey
{
    /// <summary>How long the source must wait before its next attempt, or null.</summary>
    [Common.Idempotent]
    Task<TimeSpan?> WaitFor();

    /// <summary>Counts a failure; returns how long the source must now wait, or null.</summary>
    Task<TimeSpan?> Failed(ThrottleRule rule);

    static string Address(string address) => $"address/{address}";

    static string Site(string site) => $"site/{site}";
}

/// <summary>How a throttle counts.</summary>
[GenerateSerializer, Immutable, Alias("commitments.throttle-rule")]
public sealed record ThrottleRule(
    [property: Id(0)] int FreeFailures,
    [property: Id(1)] TimeSpan DecayEvery,
    [property: Id(2)] TimeSpan MaxDelay,
    [property: Id(3)] TimeSpan FirstDelay);

[GenerateSerializer, Alias("commitments.throttle-state")]
public sealed class ThrottleState
{
    /// <summary>Failures not worn off yet, as of <see cref="At"/> (fractional: they wear off continuously).</summary>
    [Id(0)] public double Strikes { get; set; }
    [Id(1)] public DateTimeOffset At { get; set; }
    [Id(2)] public DateTimeOffset? BlockedUntil { get; set; }
}

/// <summary>Stored so a restart does not hand an attacker a fresh allowance; forgotten once all failures wore off.</summary>
public sealed class SignInThrottleGrain(
    [PersistentState(SignInThrottleGrain.StateName)] IPersistentState<ThrottleState> throttle,
    TimeProvider time) : Grain, ISignInThrottleGrain
{
    public const string StateName = "throttle";

    // The rule of the last failure, so deactivation can tell whether everything has worn off.
    private ThrottleRule? _rule;

    public Task<TimeSpan?> WaitFor()
    {
        var now = time.GetUtcNow();
        return Task.FromResult(throttle.State.BlockedUntil is { } until && until > now ? until - now : (TimeSpan?)null);
    }

    public async Task<TimeSpan?> Failed(ThrottleRule rule)
    {
        _rule = rule;
        var now = time.GetUtcNow();
        var state = throttle.State;
        state.Strikes = WornOff(state, rule, now) + 1;
        state.At = now;
        TimeSpan? wait = null;
        if (state.Strikes > rule.FreeFailures)
        {
            var over = (int)Math.Ceiling(state.Strikes - rule.FreeFailures);
            wait = TimeSpan.FromSeconds(Math.Min(rule.MaxDelay.TotalSeconds, rule.FirstDelay.TotalSeconds * Math.Pow(2, Math.Min(over - 1, 30))));
            state.BlockedUntil = now + wait;
        }

        await throttle.WriteStateAsync();
        return wait;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (throttle.RecordExists && _rule is { } rule && WornOff(throttle.State, rule, now) == 0 && !(throttle.State.BlockedUntil > now))
        {
            await throttle.ClearStateAsync(cancellationToken);
        }
    }

    private static double WornOff(ThrottleState state, ThrottleRule rule, DateTimeOffset now) =>
        Math.Max(0, state.Strikes - Math.Max(0, (now - state.At) / rule.DecayEvery));
}
