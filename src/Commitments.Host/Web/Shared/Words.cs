namespace Commitments.Host.Web.Shared;

/// <summary>Small wordings the pages share.</summary>
public static class Words
{
    /// <summary>"under a minute", "12 min", "2 h 5 min", "3 d 4 h".</summary>
    public static string Span(TimeSpan span) =>
        span.TotalMinutes < 1 ? "under a minute"
        : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min"
        : span.TotalDays < 1 ? $"{(int)span.TotalHours} h {span.Minutes} min"
        : $"{(int)span.TotalDays} d {span.Hours} h";

    /// <summary>Capitalizes a grain error ("is required …") shown next to its field.</summary>
    public static string Sentence(string message) =>
        message.Length == 0 ? message : char.ToUpperInvariant(message[0]) + message[1..];
}
