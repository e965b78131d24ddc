using Commitments.Grains.Sites;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Auth;

/// <summary>
/// How failed sign-ins off enrolled devices are slowed (section "SignIn"), per address and per site: free failures, then
/// delays doubling from FirstDelay to MaxDelay, one failure wearing off per decay period. See README's security section.
/// </summary>
public sealed class SignInThrottleOptions
{
    public int AddressFreeFailures { get; set; } = 10;
    public TimeSpan AddressDecayEvery { get; set; } = TimeSpan.FromMinutes(10);
    public int SiteFreeFailures { get; set; } = 30;
    public TimeSpan SiteDecayEvery { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>The address and site throttles around one sign-in, kept cluster-wide in <see cref="ISignInThrottleGrain"/>s.</summary>
internal sealed class SignInThrottle(IGrainFactory grains, IOptions<SignInThrottleOptions> options)
{
    /// <summary>How long this client must wait before trying, or null.</summary>
    public async Task<TimeSpan?> WaitForAsync(HttpContext http, string site)
    {
        var waits = await Task.WhenAll(Address(http).WaitFor(), Site(site).WaitFor());
        return waits.Max();
    }

    /// <summary>Counts a failed sign-in against the client's address and the site.</summary>
    public async Task FailedAsync(HttpContext http, string site)
    {
        var o = options.Value;
        await Task.WhenAll(
            Address(http).Failed(new ThrottleRule(o.AddressFreeFailures, o.AddressDecayEvery, o.MaxDelay, o.FirstDelay)),
            Site(site).Failed(new ThrottleRule(o.SiteFreeFailures, o.SiteDecayEvery, o.MaxDelay, o.FirstDelay)));
    }

    private ISignInThrottleGrain Address(HttpContext http) =>
        grains.GetGrain<ISignInThrottleGrain>(
            ISignInThrottleGrain.Address(http.Connection.RemoteIpAddress?.ToString() ?? "unknown"));

    private ISignInThrottleGrain Site(string site) => grains.GetGrain<ISignInThrottleGrain>(ISignInThrottleGrain.Site(site));
}
