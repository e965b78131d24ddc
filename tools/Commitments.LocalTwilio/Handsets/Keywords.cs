namespace Commitments.LocalTwilio.Handsets;

internal enum Keyword
{
    None,
    Stop,
    Start,
    Help,
}

/// <summary>Twilio's default opt-out handling (spec §3): a whole-body, single-word, case-insensitive match.</summary>
internal static class Keywords
{
    public const string StopReply =
        "You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.";

    public const string StartReply =
        "You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.";

    public const string HelpReply = "Reply STOP to unsubscribe. Msg&Data Rates May Apply.";

    public static Keyword Classify(string body) => body.Trim().ToUpperInvariant() switch
    {
        "STOP" or "STOPALL" or "UNSUBSCRIBE" or "CANCEL" or "END" or "QUIT" => Keyword.Stop,
        "START" or "YES" or "UNSTOP" => Keyword.Start,
        "HELP" or "INFO" => Keyword.Help,
        _ => Keyword.None,
    };

    public static string Reply(Keyword keyword) => keyword switch
    {
        Keyword.Stop => StopReply,
        Keyword.Start => StartReply,
        _ => HelpReply,
    };
}
