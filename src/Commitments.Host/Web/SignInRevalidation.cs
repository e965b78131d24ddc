using System.Security.Claims;
using Commitments.Host.Auth;
using Commitments.Host.Web.Shared;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace Commitments.Host.Web;

/// <summary>
/// Rechecks an open page's sign-in when the site says the person changed, and at least every minute. A sign-in
/// that no longer holds makes the user anonymous, closing its pages; the sign-in page then refuses the cookie.
/// </summary>
internal sealed partial class SignInRevalidation : ServerAuthenticationStateProvider, IDisposable
{
    /// <summary>The longest an open page goes without checking its sign-in.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly IGrainFactory _grains;
    private readonly SiteChangeFeed _changes;
    private readonly TimeProvider _time;
    private readonly ILogger<SignInRevalidation> _logger;
    private readonly CancellationTokenSource _stop = new();
    private int _watching;

    public SignInRevalidation(
        IGrainFactory grains, SiteChangeFeed changes, TimeProvider time, ILogger<SignInRevalidation> logger)
    {
        _grains = grains;
        _changes = changes;
        _time = time;
        _logger = logger;
        AuthenticationStateChanged += Watch;
    }

    private void Watch(Task<AuthenticationState> state) => _ = WatchWhenKnownAsync(state);

    private async Task WatchWhenKnownAsync(Task<AuthenticationState> state)
    {
        var user = (await state).User;
        if (user.Identity?.IsAuthenticated == true && Interlocked.Exchange(ref _watching, 1) == 0)
        {
            await WatchAsync(user, _stop.Token);
        }
    }

    private async Task WatchAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var changed = System.Threading.Channels.Channel.CreateBounded<bool>(
            new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });
        var me = user.StaffId();
        using var listening = user.SiteId() is { } site
            ? _changes.ListenStaff(site, staffId =>
            {
                if (staffId == me)
                {
                    changed.Writer.TryWrite(true);
                }
            })
            : null;
        try
        {
            while (true)
            {
                // Whichever comes first: the site says this person changed, or the minute is up.
                await Task.WhenAny(
                    changed.Reader.WaitToReadAsync(cancellationToken).AsTask(), Task.Delay(Interval, _time, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
                changed.Reader.TryRead(out _);
                if (!await StillSignedInAsync(user))
                {
                    LogEnded(_logger, user.SiteId(), me);
                    SetAuthenticationState(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity()))));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page closed.
        }
    }

    private async Task<bool> StillSignedInAsync(ClaimsPrincipal user)
    {
        try
        {
            return await user.StillSignedInAsync(_grains);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The directory did not answer: the page stays as it is and the next check decides.
            LogCheckFailed(_logger, ex);
            return true;
        }
    }

    public void Dispose()
    {
        AuthenticationStateChanged -= Watch;
        _stop.Cancel();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "An open page's sign-in ended (site {Site}, staff {Staff}): the page signs out")]
    private static partial void LogEnded(ILogger logger, string? site, string? staff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check an open page's sign-in; the next check decides")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
