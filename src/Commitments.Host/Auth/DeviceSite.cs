using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Commitments.Host.Auth;

/// <summary>
/// The site a shared device (a front-desk tablet) belongs to, remembered after someone signs in on
/// it. Only an enrolled device shows the grid of the site's staff to tap a name: a stranger's
/// phone that never signed in sees a plain sign-in form and learns no names.
/// </summary>
public sealed class DeviceSite(IDataProtectionProvider protection)
{
    public const string CookieName = "commitments.device";

    private readonly IDataProtector _protector = protection.CreateProtector("Commitments.DeviceSite.v1");

    public void Remember(HttpContext http, string site) =>
        http.Response.Cookies.Append(CookieName, _protector.Protect(site), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            MaxAge = TimeSpan.FromDays(365),
            IsEssential = true,
        });

    public void Forget(HttpContext http) => http.Response.Cookies.Delete(CookieName);

    public string? Read(HttpContext http)
    {
        if (!http.Request.Cookies.TryGetValue(CookieName, out var value) || string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            return _protector.Unprotect(value);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
