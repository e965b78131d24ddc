using PhoneNumbers;

namespace Commitments.Grains.Common;

/// <summary>Mobile numbers in, E.164 out, using the site's default region for national formats.</summary>
public static class Phone
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    public static bool IsKnownRegion(string? region) =>
        region is { Length: 2 } && Util.GetSupportedRegions().Contains(region.ToUpperInvariant());

    /// <summary>Normalises <paramref name="input"/> to E.164, or records why it cannot.</summary>
    public static string? Normalize(Validation validation, string field, string? input, string region, bool required)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            if (required)
            {
                validation.Add(field, "is required (a mobile number, e.g. +14155550123).");
            }

            return null;
        }

        if (input.Length > 40)
        {
            validation.Add(field, "is too long to be a phone number.");
            return null;
        }

        try
        {
            var number = Util.Parse(input.Trim(), region.ToUpperInvariant());
            if (!Util.IsValidNumber(number))
            {
                validation.Add(field, $"is not a valid phone number for region {region.ToUpperInvariant()}.");
                return null;
            }

            return Util.Format(number, PhoneNumberFormat.E164);
        }
        catch (NumberParseException)
        {
            validation.Add(field, "is not a phone number.");
            return null;
        }
    }

    /// <summary>A number fit for logs and screens: country code and last 4 digits only.</summary>
    public static string Mask(string? e164)
    {
        if (string.IsNullOrEmpty(e164) || e164.Length < 6)
        {
            return "***";
        }

        try
        {
            var number = Util.Parse(e164, null);
            var last4 = e164[^4..];
            return $"+{number.CountryCode} *** *** {last4}";
        }
        catch (NumberParseException)
        {
            return $"*** {e164[^4..]}";
        }
    }
}
