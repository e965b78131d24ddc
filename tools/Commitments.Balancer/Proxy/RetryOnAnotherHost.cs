using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Commitments.Balancer.Proxy;

/// <summary>
/// Sends a request to another host when it never reached the one chosen: the connection could not be made, so
/// no host saw it and sending it again cannot do anything twice. A request that reached a host and then failed
/// (reset mid-way, timed out, 5xx) is not retried, whatever its method: that host may have acted on it.
/// </summary>
/// <remarks>
/// Wraps session affinity, load balancing and passive health in the proxy pipeline, so each attempt runs them
/// again: the affinity cookie pointing at the dead host finds it excluded, Redistribute lets load balancing pick
/// a live host, and the response sets a new cookie for it.
/// </remarks>
internal sealed partial class RetryOnAnotherHost(RequestDelegate next, IOptions<BalancerOptions> options, ILogger<RetryOnAnotherHost> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var settings = options.Value;
        var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true;
        // A body is replayed only when its length is known and small; a chunked body of unknown length is
        // streamed once, as it would be without the balancer.
        var canReplay = !hasBody || context.Request.ContentLength <= settings.MaxReplayBodyBytes;
        if (settings.MaxRetries == 0 || IsUpgrade(context) || !canReplay)
        {
            await next(context);
            return;
        }

        if (hasBody)
        {
            // Kept in memory (the threshold is the limit): each attempt reads the body from the start.
            context.Request.EnableBuffering(settings.MaxReplayBodyBytes, settings.MaxReplayBodyBytes);
        }
        // Each attempt starts from what the request carried in: the affinity policy notes in Items that the
        // cookie matched a host, and would then not set a new cookie for the host that took the retry.
        var itemsBefore = context.Items.ToList();
        var proxy = context.GetReverseProxyFeature();
        var tried = new HashSet<DestinationState>();

        await next(context);
        for (var retry = 1; retry <= settings.MaxRetries; retry++)
        {
            if (proxy.ProxiedDestination is not { } failed || !NeverReachedHost(context, out var reason))
            {
                return;
            }
            tried.Add(failed);
            var others = proxy.Route.Cluster?.DestinationsState.AvailableDestinations.Where(d => !tried.Contains(d)).ToList() ?? [];
            if (others.Count == 0)
            {
                LogNoHostLeft(logger, context.Request.Method, failed.DestinationId, reason);
                return;
            }

            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Items.Clear();
            foreach (var (key, value) in itemsBefore)
            {
                context.Items[key] = value;
            }
            if (hasBody)
            {
                context.Request.Body.Position = 0;
            }
            proxy.AvailableDestinations = others;
            proxy.ProxiedDestination = null;

            await next(context);
            LogRetried(logger, context.Request.Method, failed.DestinationId, reason, proxy.ProxiedDestination?.DestinationId ?? "(none)", context.Response.StatusCode);
        }
    }

    private static bool NeverReachedHost(HttpContext context, out string reason)
    {
        reason = "";
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return false;
        }
        switch (context.GetForwarderErrorFeature())
        {
            case { Error: ForwarderError.RequestCreation }:
                reason = "the request could not be created";
                return true;
            // Refused, unreachable, unknown name or failed TLS: no connection, so nothing was sent. A reset after
            // the request went out is ResponseEnded or an IOException, and is not retried.
            case { Error: ForwarderError.Request, Exception: HttpRequestException { HttpRequestError: var error } }
                when error is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError:
                reason = error.ToString();
                return true;
            default:
                return false;
        }
    }

    private static bool IsUpgrade(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
        || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} never reached {Failed} ({Reason}); retried on {Retried}: {Status}.")]
    private static partial void LogRetried(ILogger logger, string method, string failed, string reason, string retried, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} never reached {Failed} ({Reason}) and no other host is available to retry it on.")]
    private static partial void LogNoHostLeft(ILogger logger, string method, string failed, string reason);
}
