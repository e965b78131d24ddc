using System.Globalization;

namespace Commitments.LocalTwilio.Messages;

/// <summary>A create request that passed every check.</summary>
internal sealed record SendRequest(
    string To,
    string From,
    string? MessagingServiceSid,
    string Body,
    int NumMedia,
    string? StatusCallback,
    int? ValidityPeriod,
    bool SmartEncoded,
    DateTimeOffset? SendAt);

/// <summary>
/// The checks Twilio makes on POST Messages.json, in the order it makes them, with its error codes
/// (spec §1 and §9, magic numbers from "Test Credentials").
/// </summary>
internal static class SendValidation
{
    public const int MaxBodyLength = 1600;

    private static readonly Dictionary<string, TwilioError> MagicTo = new(StringComparer.Ordinal)
    {
        ["+15005550001"] = new(21211, "Invalid 'To' Phone Number: +15005550001"),
        ["+15005550002"] = new(21612, "The 'To' phone number: +15005550002, is not currently reachable using the 'From' phone number via SMS."),
        ["+15005550003"] = new(21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +15005550003."),
        ["+15005550004"] = new(21610, "Attempt to send to unsubscribed recipient"),
        ["+15005550009"] = new(21614, "'To' number +15005550009 is not a valid mobile number"),
    };

    private static readonly Dictionary<string, TwilioError> MagicFrom = new(StringComparer.Ordinal)
    {
        ["+15005550001"] = new(21212, "The 'From' number +15005550001 is not a valid phone number, shortcode, or alphanumeric sender ID."),
        ["+15005550007"] = new(21606, "The 'From' phone number provided (+15005550007) is not a valid message-capable Twilio phone number for this destination/account."),
        ["+15005550008"] = new(21611, "This 'From' number has exceeded the maximum number of queued messages."),
    };

    /// <summary>The From that test credentials accept without owning it.</summary>
    public const string MagicValidFrom = "+15005550006";

    public static (SendRequest? Request, TwilioError? Error) Validate(IFormCollection form, MessageStore store)
    {
        var to = Value(form, "To");
        if (string.IsNullOrEmpty(to))
        {
            return Fail(21604, "A 'To' phone number is required.");
        }
        if (!PhoneNumber.IsE164(to))
        {
            return Fail(21211, $"Invalid 'To' Phone Number: {to}");
        }

        var from = Value(form, "From");
        var serviceSid = Value(form, "MessagingServiceSid");
        // GoAlert (and Twilio) accept a messaging service SID in From.
        if (string.IsNullOrEmpty(serviceSid) && from is not null && from.StartsWith("MG", StringComparison.Ordinal))
        {
            serviceSid = from;
            from = null;
        }
        if (string.IsNullOrEmpty(from) && string.IsNullOrEmpty(serviceSid))
        {
            return Fail(21603, "A 'From' phone number is required.");
        }

        var body = Value(form, "Body") ?? "";
        var mediaUrls = form["MediaUrl"].Where(u => !string.IsNullOrEmpty(u)).Select(u => u!).ToList();
        if (body.Length == 0 && mediaUrls.Count == 0)
        {
            return Fail(21602, "Message body is required.");
        }
        if (body.EnumerateRunes().Count() > MaxBodyLength)
        {
            return Fail(21617, "The concatenated message body exceeds the 1600 character limit.");
        }
        if (mediaUrls.Count > 10 || mediaUrls.Any(u => !IsWebhookUrl(u)))
        {
            return Fail(21620, "Invalid media URL(s).");
        }

        var statusCallback = Value(form, "StatusCallback");
        if (statusCallback is not null && !IsWebhookUrl(statusCallback))
        {
            return Fail(21609, $"The StatusCallback URL {statusCallback} is not a valid URL.");
        }

        int? validityPeriod = null;
        if (Value(form, "ValidityPeriod") is { } validityText)
        {
            if (!int.TryParse(validityText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > 36000)
            {
                return Fail(21624, "Invalid validity period value: it must be a whole number of seconds from 1 to 36000.");
            }
            validityPeriod = seconds;
        }

        MessagingServiceOptions? service = null;
        if (!string.IsNullOrEmpty(serviceSid))
        {
            if (!LocalTwilioOptions.ServiceSidPattern().IsMatch(serviceSid))
            {
                return Fail(21705, $"The Messaging Service Sid {serviceSid} is invalid.");
            }
            service = store.FindService(serviceSid);
            if (service is null)
            {
                return Fail(21701, $"The Messaging Service Sid {serviceSid} does not exist.");
            }
        }

        DateTimeOffset? sendAt = null;
        if (string.Equals(Value(form, "ScheduleType"), "fixed", StringComparison.Ordinal))
        {
            if (service is null)
            {
                return Fail(35118, "MessagingServiceSid is required to schedule a message.");
            }
            if (!DateTimeOffset.TryParse(Value(form, "SendAt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return Fail(35114, "Scheduling does not support this timestamp: SendAt must be an ISO 8601 instant.");
            }
            sendAt = at;
        }

        if (!string.IsNullOrEmpty(from))
        {
            if (MagicFrom.TryGetValue(from, out var magic))
            {
                return (null, magic);
            }
            if (!PhoneNumber.IsE164(from))
            {
                return Fail(21212, $"The 'From' number {from} is not a valid phone number, shortcode, or alphanumeric sender ID.");
            }
            if (from != MagicValidFrom && !store.IsOwned(from))
            {
                return Fail(21606, $"The 'From' phone number provided ({from}) is not a valid message-capable Twilio phone number for this destination/account.");
            }
        }
        else
        {
            if (service!.Numbers.Count == 0)
            {
                return Fail(21704, $"The Messaging Service {service.Sid} contains no phone numbers.");
            }
            // A stable ("sticky") sender per recipient.
            from = service.Numbers[to.Sum(c => c) % service.Numbers.Count];
        }

        if (MagicTo.TryGetValue(to, out var magicTo))
        {
            return (null, magicTo);
        }
        if (to == from)
        {
            return Fail(21211, $"Invalid 'To' Phone Number: {to} ('To' and 'From' are the same).");
        }
        if (store.IsOptedOut(handset: to, number: from))
        {
            return Fail(21610, "Attempt to send to unsubscribed recipient");
        }

        var smartEncoded = string.Equals(Value(form, "SmartEncoded"), "true", StringComparison.OrdinalIgnoreCase);
        return (new SendRequest(to, from, service?.Sid, body, mediaUrls.Count, statusCallback, validityPeriod, smartEncoded, sendAt), null);
    }

    /// <summary>Absolute http(s) with a valid host name; Twilio rejects underscores in host names.</summary>
    public static bool IsWebhookUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.Host.Length > 0
        && !uri.Host.Contains('_', StringComparison.Ordinal)
        && Uri.CheckHostName(uri.Host) != UriHostNameType.Unknown;

    private static string? Value(IFormCollection form, string name) =>
        form.TryGetValue(name, out var values) ? values.ToString() : null;

    private static (SendRequest?, TwilioError?) Fail(int code, string message) => (null, new TwilioError(code, message));
}
