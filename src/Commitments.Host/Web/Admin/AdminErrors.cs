using Commitments.Grains.Common;

namespace Commitments.Host.Web.Admin;

/// <summary>A grain's field errors, shown next to the fields they name (the rest in one line).</summary>
public sealed class AdminErrors
{
    private Dictionary<string, string[]> _errors = [];

    public string? General { get; private set; }

    public void Clear()
    {
        _errors = [];
        General = null;
    }

    public void Show(RuleViolationException ex, params string[] shownFields)
    {
        _errors = ex.Errors;
        General = ex.Errors.Keys.Any(k => !shownFields.Any(f =>
                k == f || k.StartsWith(f + "[", StringComparison.Ordinal) || k.StartsWith(f + ".", StringComparison.Ordinal)))
            ? ex.Message
            : null;
    }

    public bool Has(string field) => _errors.ContainsKey(field);

    public string? For(string field) =>
        _errors.TryGetValue(field, out var messages) ? string.Join(" ", messages.Select(Shared.Words.Sentence)) : null;
}
