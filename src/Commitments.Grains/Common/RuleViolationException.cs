namespace Commitments.Grains.Common;

/// <summary>What kind of rule a request broke; the host maps each kind to one HTTP status.</summary>
[GenerateSerializer, Alias("commitments.rule-kind")]
public enum RuleKind
{
    /// <summary>The input is malformed or out of range (400).</summary>
    Invalid = 0,
    /// <summary>The actor may not do this (403).</summary>
    Forbidden = 1,
    /// <summary>The thing is in the wrong state for this (409).</summary>
    Conflict = 2,
    /// <summary>The thing does not exist (404).</summary>
    NotFound = 3,
    /// <summary>Too many attempts; try again later (429).</summary>
    TooManyAttempts = 4,
    /// <summary>Storage is not answering, so nothing was done; try again in a few seconds (503).</summary>
    Unavailable = 5,
}

/// <summary>Thrown before anything changes, so a caught violation means "nothing happened"; the message is for a person.</summary>
[GenerateSerializer, Alias("commitments.rule-violation")]
public sealed class RuleViolationException : Exception
{
    public RuleViolationException(RuleKind kind, string field, string message)
        : this(kind, message, new Dictionary<string, string[]> { [field] = [message] })
    {
    }

    public RuleViolationException(RuleKind kind, string message, Dictionary<string, string[]> errors)
        : base(message)
    {
        Kind = kind;
        Errors = errors;
    }

    [Id(0)]
    public RuleKind Kind { get; private set; }

    /// <summary>Field (JSON path, camelCase) → what is wrong with it.</summary>
    [Id(1)]
    public Dictionary<string, string[]> Errors { get; private set; }

    /// <summary>Seconds to wait before trying again, for <see cref="RuleKind.TooManyAttempts"/>.</summary>
    [Id(2)]
    public int? RetryAfterSeconds { get; init; }

    public static RuleViolationException Invalid(string field, string message) => new(RuleKind.Invalid, field, message);

    public static RuleViolationException Forbidden(string message) => new(RuleKind.Forbidden, "actor", message);

    public static RuleViolationException Conflict(string message) => new(RuleKind.Conflict, "status", message);

    public static RuleViolationException NotFound(string field, string message) => new(RuleKind.NotFound, field, message);

    /// <summary>Storage did not answer in time; a change is written whole or not at all, so the person just retries.</summary>
    public static RuleViolationException StorageUnavailable() => new(RuleKind.Unavailable, "storage",
        "Storage is not answering right now, so this was not done. Try again in a few seconds.")
    {
        RetryAfterSeconds = 5,
    };
}

/// <summary>Collects field errors so a request learns everything wrong with it at once.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, string[]> _errors = [];

    public void Add(string field, string message) =>
        _errors[field] = _errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

    public bool IsValid => _errors.Count == 0;

    /// <summary>Trims <paramref name="value"/> and checks its length; null when absent and optional.</summary>
    public string? Text(string field, string? value, int min, int max, bool required = true)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            if (required)
            {
                Add(field, min > 0 ? $"is required ({min}–{max} characters)." : "is required.");
            }

            return null;
        }

        if (trimmed.Length < min || trimmed.Length > max)
        {
            Add(field, $"must be {min}–{max} characters (it has {trimmed.Length}).");
            return null;
        }

        return trimmed;
    }

    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0)
        {
            var first = _errors.First();
            throw new RuleViolationException(RuleKind.Invalid, $"{first.Key} {first.Value[0]}", new Dictionary<string, string[]>(_errors));
        }
    }
}
