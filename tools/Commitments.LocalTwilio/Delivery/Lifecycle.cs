using System.Security.Cryptography;
using Commitments.LocalTwilio.Messages;

namespace Commitments.LocalTwilio.Delivery;

/// <summary>
/// Moves outbound messages through their statuses in the background and sends the signed status
/// callbacks (spec §2, §9), honouring the callback mode; expires messages past their ValidityPeriod.
/// </summary>
internal sealed partial class Lifecycle(
    MessageStore store,
    WebhookClient webhooks,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<Lifecycle> logger)
{
    /// <summary>Starts the lifecycle of a new message with the settings and callback mode in force now.</summary>
    public void Begin(string sid, string initialStatus, int? validityPeriod, DateTimeOffset? sendAt)
    {
        var settings = store.Lifecycle;
        var mode = store.CallbackMode;
        if (settings.Auto)
        {
            _ = RunAsync(sid, initialStatus, settings, mode, sendAt);
        }
        if (validityPeriod is { } seconds && sendAt is null)
        {
            _ = ExpireAsync(sid, TimeSpan.FromSeconds(seconds), mode);
        }
    }

    /// <summary>Sends the callback for one status change as <paramref name="mode"/> says (reorder sends at once: one event has no order).</summary>
    public async Task DeliverAsync(StatusEvent change, CallbackMode mode, CancellationToken ct)
    {
        if (change.CallbackUrl is not { } url)
        {
            return;
        }
        if (mode == CallbackMode.Drop)
        {
            store.RecordCallback(change.Sid, new CallbackRecord(url, change.Status, null, store.Now, Dropped: true, null));
            return;
        }
        // Twilio retries a failed connection once; a duplicate carries the same idempotency token.
        var token = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var sends = mode == CallbackMode.Duplicate ? 2 : 1;
        for (var i = 0; i < sends; i++)
        {
            var result = await webhooks.PostAsync(url, change.Form, token, ct);
            if (result.Status is null)
            {
                store.RecordCallback(change.Sid, new CallbackRecord(url, change.Status, null, store.Now, Dropped: false, result.Error));
                result = await webhooks.PostAsync(url, change.Form, token, ct);
            }
            store.RecordCallback(change.Sid, new CallbackRecord(url, change.Status, result.Status, store.Now, Dropped: false, result.Error));
            LogCallback(logger, change.Sid, change.Status, result.Status);
        }
    }

    /// <summary>Sends the callback for a change made by hand, in the callback mode in force now.</summary>
    public Task DeliverAsync(StatusEvent change, CancellationToken ct) => DeliverAsync(change, Single(store.CallbackMode), ct);

    /// <summary>Fire and forget, for a change made by a request (cancel) that must not wait for the app.</summary>
    public void Notify(StatusEvent change) => _ = SafelyAsync(change.Sid, ct => DeliverAsync(change, ct));

    private Task RunAsync(string sid, string initialStatus, LifecycleSettings settings, CallbackMode mode, DateTimeOffset? sendAt) =>
        SafelyAsync(sid, async ct =>
        {
            var current = initialStatus;
            var held = new List<StatusEvent>();
            if (sendAt is { } at)
            {
                var wait = at - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, ct);
                }
                if (store.Transition(sid, "accepted", null, m => m.Status == "scheduled") is not { } accepted)
                {
                    return;
                }
                current = "accepted";
                await StepAsync(accepted);
            }
            foreach (var next in settings.StepsAfter(current))
            {
                await Task.Delay(settings.StepDelay, time, ct);
                var from = current;
                var errorCode = next is "failed" or "undelivered" ? settings.ErrorCode : null;
                // Stops when the message moved on its own: canceled, expired, deleted or set by hand.
                if (store.Transition(sid, next, errorCode, m => m.Status == from) is not { } change)
                {
                    break;
                }
                current = next;
                await StepAsync(change);
            }
            // Reorder: the whole lifecycle, last status first.
            for (var i = held.Count - 1; i >= 0; i--)
            {
                await DeliverAsync(held[i], CallbackMode.Normal, ct);
            }

            async Task StepAsync(StatusEvent change)
            {
                if (mode == CallbackMode.Reorder)
                {
                    held.Add(change);
                }
                else
                {
                    await DeliverAsync(change, mode, ct);
                }
            }
        });

    private Task ExpireAsync(string sid, TimeSpan validity, CallbackMode mode) =>
        SafelyAsync(sid, async ct =>
        {
            await Task.Delay(validity, time, ct);
            // Only a message still waiting to go out expires (30036); one already handed to the carrier does not.
            if (store.Transition(sid, "failed", 30036, m => m.Status is "accepted" or "queued") is { } expired)
            {
                await DeliverAsync(expired, Single(mode), ct);
            }
        });

    private static CallbackMode Single(CallbackMode mode) => mode == CallbackMode.Reorder ? CallbackMode.Normal : mode;

    private async Task SafelyAsync(string sid, Func<CancellationToken, Task> work)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(store.Generation, lifetime.ApplicationStopping);
        try
        {
            await Task.Yield();
            await work(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // Reset or shutdown: this message is forgotten.
        }
        catch (Exception e)
        {
            LogLifecycleFailed(logger, e, sid);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Status callback for {Sid} ({Status}) answered {ResponseStatus}")]
    private static partial void LogCallback(ILogger logger, string sid, string status, int? responseStatus);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lifecycle of {Sid} failed")]
    private static partial void LogLifecycleFailed(ILogger logger, Exception e, string sid);
}
