namespace Commitments.LocalTwilio.Faults;

internal enum FaultKind
{
    TooManyRequests,
    ServerError,
    Unavailable,
    ServerErrorAfterCreate,
    TimeoutAfterCreate,
    Reset,
    Slow,
    NonJson,
    ErrorCode201,
}

/// <summary>A fault applied to one POST Messages.json; Delay is waited before acting (after creating, for timeout-after-create).</summary>
internal sealed record Fault(FaultKind Kind, TimeSpan Delay)
{
    private static readonly Dictionary<string, FaultKind> Kinds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["429"] = FaultKind.TooManyRequests,
        ["500"] = FaultKind.ServerError,
        ["503"] = FaultKind.Unavailable,
        ["500-after-create"] = FaultKind.ServerErrorAfterCreate,
        ["timeout-after-create"] = FaultKind.TimeoutAfterCreate,
        ["reset"] = FaultKind.Reset,
        ["slow"] = FaultKind.Slow,
        ["non-json"] = FaultKind.NonJson,
        ["error-code-201"] = FaultKind.ErrorCode201,
    };

    public static IEnumerable<string> Names => Kinds.Keys;

    public string Name => Kinds.First(k => k.Value == Kind).Key;

    public static bool TryParse(string? name, out FaultKind kind) => Kinds.TryGetValue(name ?? "", out kind);

    /// <summary>Without a delay, slow waits 1 s and timeout-after-create 30 s (longer than any sane client timeout).</summary>
    public static TimeSpan DefaultDelay(FaultKind kind) => kind switch
    {
        FaultKind.Slow => TimeSpan.FromSeconds(1),
        FaultKind.TimeoutAfterCreate => TimeSpan.FromSeconds(30),
        _ => TimeSpan.Zero,
    };

    /// <summary>Whether the message is created (and so the client cannot know from the answer).</summary>
    public bool Creates => Kind is FaultKind.ServerErrorAfterCreate or FaultKind.TimeoutAfterCreate or FaultKind.Slow or FaultKind.ErrorCode201;
}
