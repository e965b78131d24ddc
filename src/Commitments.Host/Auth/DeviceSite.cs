using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Commitments.Host.Auth;

/// <summary>
/// The site a shared device belongs to: only such a device shows the staff grid, so a stranger learns no names.
/// A manager's sign-in enrolls it; its wrong PINs are counted apart, so outside guessing cannot lock out the tablets.
/// </summary>
public sealed class DeviceSite(IDataProtectionProvider protection)
{
    public const string CookieName = "commitments.device";

    // The protected value is the site id, then "\nenrolled" on a device a manager signed in on.
    private const string EnrolledMark = "\nenrolled";

    private readonly IDataProtector _protector = protection.CreateProtector("Commitments.DeviceSite.v1");

    /// <summary>Remembers the site; an enrolled device stays enrolled for its site.</summary>
    public void Remember(HttpContext http, string site, bool byManager)
    {
        var enrolled = byManager || ReadDevice(http) is { Enrolled: true } known && known.Site == site;
        http.Response.Cookies.Append(CookieName, _protector.Protect(enrolled ? site + EnrolledMark : site), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            MaxAge = TimeSpan.FromDays(365),
            IsEssential = true,
        });
    }

    public void Forget(HttpContext http) => http.Response.Cookies.Delete(CookieName);

    /// <summary>The site this device belongs to, or null.</summary>
    public string? Read(HttpContext http) => ReadDevice(http)?.Site;

    /// <summary>The site this device belongs to and whether the site enrolled it, or null.</summary>
    public Device? ReadDevice(HttpContext http)
    {
        if (!http.Request.Cookies.TryGetValue(CookieName, out var value) || string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            var payload = _protector.Unprotect(value);
            return payload.EndsWith(EnrolledMark, StringComparison.Ordinal)
                ? new Device(payload[..^EnrolledMark.Length], Enrolled: true)
                : new Device(payload, Enrolled: false);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public sealed record Device(string Site, bool Enrolled);
}
