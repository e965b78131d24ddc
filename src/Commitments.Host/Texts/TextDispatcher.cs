using System.Threading.Channels;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;
using Commitments.Twilio;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Texts;

/// <summary>How texts are dispatched (section "Texting").</summary>
public sealed class TextingOptions
{
    /// <summary>How often each site's sweep looks for texts that came due (default 1 s); new texts wake the dispatcher at once.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Tries within one pass before a text is left for a later one (default 5).</summary>
    public int MaxTries { get; set; } = 5;

    /// <summary>First backoff after a 429 or an unknown outcome; it doubles, with jitter (default 500 ms).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a sender rests after 21611 (its queue is full) (default 30 s).</summary>
    public TimeSpan SlowDownPause { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Sends the outboxes (<see cref="TextOutboxes"/>) on this silo: the grain records each attempt under this silo's identity,
/// then it goes to Twilio, paced per sender cluster-wide. An attempt of unknown outcome is looked up at Twilio before any
/// resend, so an accepted text is never repeated. Every rule is in the grain.
/// </summary>
internal sealed partial class TextDispatcher(
    IGrainFactory grains,
    TwilioMessagingClient twilio,
    IOptions<TwilioOptions> twilioOptions,
    IOptions<TextingOptions> options,
    TimeProvider time,
    ILogger<TextDispatcher> logger,
    Stored.StartupIndexSnapshot startupIndexes,
    ILocalSiloDetails silo,
    IClusterMembershipService membership) : BackgroundService, ITextSignal
{
    // No send this close to a claim's end, where another silo may take it over: a request timeout plus Twilio's list delay.
    private TimeSpan ClaimMargin => twilioOptions.Value.RequestTimeout + TimeSpan.FromSeconds(30);

    private readonly Channel<(string Site, Guid Id)> _ready = Channel.CreateUnbounded<(string, Guid)>();
    private readonly HashSet<(string, Guid)> _queued = [];

    // Texts being sent now, so a claim that comes due again while in hand is not sent twice.
    private readonly HashSet<(Guid, string)> _inHand = [];
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _inFlight = new(Math.Max(1, twilioOptions.Value.MaxConcurrentRequests));

    /// <summary>This silo's address and generation: a claim under it holds while membership says the silo lives.</summary>
    public string Id { get; } = silo.SiloAddress.ToParsableString();

    public string DispatcherId => Id;

    public bool IsAlive(string dispatcherId)
    {
        if (dispatcherId == Id)
        {
            return true;
        }

        try
        {
            // Dead, or unknown to membership (gone long ago, or a claim made before silos had identities).
            return membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(dispatcherId))
                is SiloStatus.Created or SiloStatus.Joining or SiloStatus.Active or SiloStatus.ShuttingDown or SiloStatus.Stopping;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private ISenderPaceGrain Pace => grains.GetGrain<ISenderPaceGrain>(_paceKey);

    // The sender's number is the pace's identity, hashed: grain keys show in Orleans' logs.
    private readonly string _paceKey = "sender-" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(twilioOptions.Value.From ?? twilioOptions.Value.MessagingServiceSid ?? "default")))[..16];

    private readonly Channel<TextToSend> _direct = Channel.CreateUnbounded<TextToSend>();

    public void Send(IReadOnlyList<TextToSend> texts)
    {
        foreach (var text in texts)
        {
            _direct.Writer.TryWrite(text);
        }
    }

    public void TextsReady(string site, Guid commitmentId)
    {
        lock (_gate)
        {
            if (!_queued.Add((site, commitmentId)))
            {
                return;
            }
        }

        _ready.Writer.TryWrite((site, commitmentId));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first host of a cluster starts from the indexes' stored copy while they load.
        var stored = Cluster.ClusterMembership.JoinedRunningCluster(membership, silo.SiloAddress)
            ? Task.CompletedTask
            : SweepStoredAsync(time.GetUtcNow() + TextOutboxes.AttemptLease, stoppingToken);

        // More workers than requests in flight, so grain writes around each send never starve the sender's rate.
        var workers = Enumerable.Range(0, Math.Max(8, twilioOptions.Value.MaxConcurrentRequests * 4))
            .Select(_ => WorkAsync(stoppingToken)).ToList();
        await Task.WhenAll(
            [stored, KeepSweepingAsync(stoppingToken), WatchForDeadSilosAsync(stoppingToken), SendDirectAsync(stoppingToken), .. workers]);
    }

    /// <summary>Every host keeps the registry telling every site to sweep, so it and the indexes return quickly after a silo dies.</summary>
    private async Task KeepSweepingAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SiteRegistryGrain.KeepInterval, time);
        do
        {
            try
            {
                await grains.GetGrain<ISiteRegistryGrain>(SiteRegistryGrain.Key).KeepSweeping(options.Value.SweepInterval);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>On a silo's death every site sweeps a claim's length ahead, so its claims are taken over now.</summary>
    private async Task WatchForDeadSilosAsync(CancellationToken stoppingToken)
    {
        await foreach (var _ in Cluster.ClusterMembership.SiloDeathsAsync(membership, stoppingToken))
        {
            try
            {
                await grains.GetGrain<ISiteRegistryGrain>(SiteRegistryGrain.Key).SweepAhead(options.Value.SweepInterval);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(logger, ex);
            }
        }
    }

    // Texts due per the indexes' stored copy, before the indexes load; the sweeps find what it missed (queued once).
    private async Task SweepStoredAsync(DateTimeOffset until, CancellationToken stoppingToken)
    {
        try
        {
            foreach (var (site, entry) in (await startupIndexes.GetAsync(stoppingToken))
                .Where(e => e.Entry.NextTextAt <= until).OrderBy(e => e.Entry.NextTextAt))
            {
                TextsReady(site, entry.Id);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSweepFailed(logger, ex);
        }
    }

    /// <summary>Texts a promise already recorded as attempts here go straight to Twilio, paced.</summary>
    private async Task SendDirectAsync(CancellationToken stoppingToken)
    {
        await foreach (var text in _direct.Reader.ReadAllAsync(stoppingToken))
        {
            if (Take(text))
            {
                _ = SendAsync(TextOutboxes.Of(grains, text.Site, text.CommitmentId), text, stoppingToken);
            }
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        await foreach (var (site, id) in _ready.Reader.ReadAllAsync(stoppingToken))
        {
            lock (_gate)
            {
                _queued.Remove((site, id));
            }

            try
            {
                var grain = TextOutboxes.Of(grains, site, id);
                var work = await grain.BeginDueTexts(Id);
                await Task.WhenAll(work.Send.Where(Take).Select(text => SendAsync(grain, text, stoppingToken))
                    .Concat(work.Poll.Select(poll => PollAsync(grain, poll, stoppingToken))));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogWorkFailed(logger, ex, id);
            }
        }
    }

    private bool Take(TextToSend text)
    {
        lock (_gate)
        {
            return _inHand.Add((text.CommitmentId, text.TextId));
        }
    }

    private async Task SendAsync(ITextOutbox grain, TextToSend text, CancellationToken stoppingToken)
    {
        // The claim was made just now; past its end another silo may take the text over, so nothing is sent that late.
        var claimEnds = time.GetUtcNow() + TextOutboxes.AttemptLease - ClaimMargin;
        try
        {
            SendOutcome outcome;
            try
            {
                outcome = await DeliverAsync(grain, text, claimEnds, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Outcome unknown and not even a look-up worked: leave it for a later pass, which looks up first.
                outcome = new SendOutcome(null, null, (ex as TwilioException)?.Code, ex.Message, Final: false);
            }

            await grain.RecordSendOutcome(text.TextId, outcome);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not recorded: the claim runs out and the text comes due again, looked up before any resend.
            LogRecordFailed(logger, ex, text.TextId);
        }
        finally
        {
            lock (_gate)
            {
                _inHand.Remove((text.CommitmentId, text.TextId));
            }
        }
    }

    private async Task<SendOutcome> DeliverAsync(
        ITextOutbox grain, TextToSend text, DateTimeOffset claimEnds, CancellationToken stoppingToken)
    {
        if (text.LookUpSince is { } since && await FindSentAsync(text, since, stoppingToken) is { } earlier)
        {
            LogFoundEarlier(logger, earlier.Sid!, text.TextId);
            return new SendOutcome(earlier.Sid, earlier.Status, null, null, Final: true);
        }

        var lookUpSince = text.LookUpSince ?? time.GetUtcNow();
        var segments = SmsSegments.Count(text.Body, smartEncode: true).Segments;
        var delay = options.Value.RetryDelay;
        TwilioException? last = null;
        for (var attempt = 1; attempt <= options.Value.MaxTries; attempt++)
        {
            if (last is { Kind: TwilioFailureKind.Unknown })
            {
                // The last call may have reached Twilio: check the callback, then look it up.
                if (await grain.SubmittedSid(text.TextId) is { } known)
                {
                    return new SendOutcome(known, null, null, null, Final: true);
                }

                if (await FindSentAsync(text, lookUpSince, stoppingToken) is { } found)
                {
                    return new SendOutcome(found.Sid, found.Status, null, null, Final: true);
                }
            }

            // A place in flight before the pace slot, so a send that waited does not bunch with the next above the rate.
            await _inFlight.WaitAsync(stoppingToken);
            try
            {
                // A turn after the claim ends is not taken, leaving the slot to a text that can use it.
                if (await Pace.Reserve(segments, twilioOptions.Value.MessagesPerSecond, claimEnds - time.GetUtcNow()) is not { } wait)
                {
                    // Not sent: the grain has it tried again later, looked up first.
                    return new SendOutcome(null, null, null, "The claim would run out before the text's turn came.", Final: false);
                }

                await Task.Delay(wait, time, stoppingToken);

                var sent = await twilio.SendAsync(new SendMessage(text.To, text.Body, StatusCallback(text)), stoppingToken);
                return new SendOutcome(sent.Sid, sent.Status, null, null, Final: true);
            }
            catch (TwilioException ex)
            {
                last = ex;
                switch (ex.Kind)
                {
                    case TwilioFailureKind.OptedOut:
                        return new SendOutcome(null, null, ex.Code, null, Final: true, OptedOut: true);
                    case TwilioFailureKind.Permanent:
                        return new SendOutcome(null, null, ex.Code, ex.Code is null ? ex.Message : null, Final: true);
                    case TwilioFailureKind.SlowDown:
                        await Pace.Pause(options.Value.SlowDownPause);
                        break;
                }
            }
            finally
            {
                _inFlight.Release();
            }

            // Exponential backoff with jitter, so many texts refused together do not retry together.
            await Task.Delay(
                delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)delay.TotalMilliseconds + 1)), time, stoppingToken);
            delay *= 2;
        }

        return new SendOutcome(null, null, last?.Code, last?.Message, Final: false);
    }

    private async Task PollAsync(ITextOutbox grain, TextPoll poll, CancellationToken stoppingToken)
    {
        try
        {
            if (await twilio.FetchAsync(poll.MessageSid, stoppingToken) is { Status: { } status } message)
            {
                await grain.UpdateTextStatus(poll.TextId, poll.MessageSid, status, message.ErrorCode);
            }
        }
        catch (TwilioException ex)
        {
            LogPollFailed(logger, poll.MessageSid, ex.Message);
        }
    }

    /// <summary>The message an earlier attempt may have created: same recipient, same body, created since the attempt.</summary>
    private async Task<TwilioMessage?> FindSentAsync(TextToSend text, DateTimeOffset since, CancellationToken stoppingToken)
    {
        try
        {
            var from = twilioOptions.Value.From;
            var candidates = await twilio.ListAsync(text.To, from, since.AddDays(-1), 100, stoppingToken);
            var smart = SmartEncoding.Apply(text.Body);

            // date_created has whole seconds; never match a message another text already owns.
            return candidates.FirstOrDefault(m => (m.Body == text.Body || m.Body == smart)
                && (m.DateCreated is null || m.DateCreated >= since.AddSeconds(-2))
                && !text.KnownSids.Contains(m.Sid ?? ""));
        }
        catch (TwilioException ex)
        {
            // Unknown still: do not send blind; the grain will have it tried (and looked up) again.
            LogLookupFailed(logger, text.TextId, ex.Message);
            throw;
        }
    }

    private string StatusCallback(TextToSend text) =>
        $"{twilioOptions.Value.PublicBaseUrl!.TrimEnd('/')}{TwilioWebhooks.StatusPath}?site={Uri.EscapeDataString(text.Site)}" +
        $"&promise={text.CommitmentId:N}&text={Uri.EscapeDataString(text.TextId)}";

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "The outcome of text {TextId} could not be recorded; it will be looked up and recorded later")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception, string textId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Keeping the sites' text sweeps running failed; the next try is in a few seconds")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Texts of promise {CommitmentId} could not be dispatched now; the next sweep tries again")]
    private static partial void LogWorkFailed(ILogger logger, Exception exception, Guid commitmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Text {TextId} was already accepted by Twilio as {Sid}; not sending it again")]
    private static partial void LogFoundEarlier(ILogger logger, string sid, string textId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling {Sid} failed: {Reason}")]
    private static partial void LogPollFailed(ILogger logger, string sid, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking up earlier attempts of text {TextId} failed: {Reason}")]
    private static partial void LogLookupFailed(ILogger logger, string textId, string reason);
}
