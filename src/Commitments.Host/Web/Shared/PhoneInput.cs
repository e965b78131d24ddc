using PhoneNumbers;

namespace Commitments.Host.Web.Shared;

/// <summary>Formats a phone number the way the site's region writes it, as it is typed.</summary>
public static class PhoneInput
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    public static string? FormatAsTyped(string? typed, string region)
    {
        if (string.IsNullOrEmpty(typed))
        {
            return typed;
        }

        var formatter = Util.GetAsYouTypeFormatter(region);
        string? result = null;
        foreach (var c in typed)
        {
            // A plus counts only at the start; spaces, dashes and brackets are the formatter's to place.
            if (char.IsAsciiDigit(c) || (c == '+' && result is null))
            {
                result = formatter.InputDigit(c);
            }
        }

        return string.IsNullOrEmpty(result) ? typed : result;
    }
}
