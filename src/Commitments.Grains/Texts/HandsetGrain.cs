using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Index;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Commitments.Grains.Texts;

/// <summary>
/// One phone number: opt-out, staff it belongs to, recent texts and what its replies mean. Opt-out is per number
/// because Twilio blocks our sender and this number as a pair, whichever site a text is for.
/// </summary>
public interface IHandsetGrain : IGrainWithStringKey
{
    /// <summary>Keyed by a hash of the number so grain ids in logs and storage keys never carry a phone number.</summary>
    static IHandsetGrain For(IGrainFactory grains, string e164) => grains.GetGrain<IHandsetGrain>(KeyFor(e164));

    /// <summary>A keyed hash of the number (<see cref="PhoneKeys"/>), so keys and logs never show it.</summary>
    static string KeyFor(string e164) => KeyPrefix + PhoneKeys.Of(e164);

    /// <summary>The old "h-" unsalted-hash key: only for moving records to the keyed one.</summary>
    static string LegacyKeyFor(string e164) => LegacyKeyPrefix + PhoneKeys.LegacyOf(e164);

    const string KeyPrefix = "h2-";
    const string LegacyKeyPrefix = "h-";

    /// <summary>Merges in the record under the number's old key (moving keys).</summary>
    Task Adopt(HandsetState earlier);

    // Read-only, so it may interleave with a reply being acted on (no deadlock with the promise).
    [AlwaysInterleave]
    Task<bool> IsOptedOut();

    Task SetOptedOut(bool optedOut);

    [OneWay]
    Task Texted(HandsetText text);

    // The site awaits this (the handset never awaits the site), so a new person's first reply is known. Only for a
    // verified phone, or inactive: a person who left or changed phone is forgotten, pending code and all.
    Task RegisterStaff(string site, string staffId, bool active);

    /// <summary>
    /// The phone does not act as a site's person until it replies VERIFY and the code. True if it already is theirs
    /// (a verification the site missed); then nothing waits.
    /// </summary>
    Task<bool> ExpectVerification(VerificationRequest request);

    /// <summary>Whether the phone acts as this person: verified, or registered before phones were verified.</summary>
    [AlwaysInterleave]
    Task<bool> IsStaffOf(string site, string staffId);

    Task<InboundReply> Receive(InboundText text);
}

[GrainType(GrainTypeName)]
public sealed partial class HandsetGrain(
    TimeProvider time,
    ILogger<HandsetGrain> logger) : Grain, IHandsetGrain
{
    /// <summary>Part of every stored key: never rename.</summary>
    public const string GrainTypeName = "handset";
    public const string StateName = "handset";
    public const int MaxPassiveReplies = 5;
    public static readonly TimeSpan ReplyWindow = TimeSpan.FromDays(14);

    /// <summary>How many texts a phone remembers (within <see cref="ReplyWindow"/>).</summary>
    public const int MaxRecent = 50;

    /// <summary>Two texts this close together leave a bare reply unclear: which one did they mean?</summary>
    public static readonly TimeSpan AmbiguityWindow = TimeSpan.FromMinutes(1);

    private static readonly HashSet<string> StopWords = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
    private static readonly HashSet<string> StartWords = ["START", "UNSTOP"];
    private static readonly HashSet<string> HelpWords = ["HELP", "INFO"];

    // Read on first use: staff texts are only noted in memory, so an escalation burst costs inactive phones no read.
    private StoredState<HandsetState>? _handset;
    private Task? _loading;

    // Staff texts noted before the state was read; merged in when it is.
    private readonly List<HandsetText> _notedBeforeLoad = [];

    private StoredState<HandsetState> Stored => _handset ??= StoredState<HandsetState>.For(GrainContext, StateName);

    private HandsetState State => Stored.State;

    // One read shared by calls that interleave (IsOptedOut); a failed read is tried again by the next call.
    private Task EnsureLoadedAsync()
    {
        if (Stored.Loaded)
        {
            return Task.CompletedTask;
        }

        if (_loading is null || _loading.IsFaulted || _loading.IsCanceled)
        {
            _loading = LoadAsync();
        }

        return _loading;

        async Task LoadAsync()
        {
            await Stored.LoadAsync();
            foreach (var text in _notedBeforeLoad)
            {
                Remember(text);
            }

            _notedBeforeLoad.Clear();
        }
    }

    public async Task<bool> IsOptedOut()
    {
        await EnsureLoadedAsync();
        return State.OptedOut;
    }

    public async Task SetOptedOut(bool optedOut)
    {
        await EnsureLoadedAsync();
        if (State.OptedOut == optedOut)
        {
            return;
        }

        State.OptedOut = optedOut;
        State.OptedOutAt = optedOut ? time.GetUtcNow() : null;
        await WriteAsync();
        LogOptOut(logger, this.GetPrimaryKeyString(), optedOut);
        foreach (var who in State.Staff)
        {
            TellSite(who.Site, who.StaffId);
        }
    }

    public async Task Adopt(HandsetState earlier)
    {
        await EnsureLoadedAsync();
        // Never lose an opt-out in the move; what this record learned since is newer and stays.
        if (earlier.OptedOut && !State.OptedOut && State.OptedOutAt is null)
        {
            State.OptedOut = true;
            State.OptedOutAt = earlier.OptedOutAt;
        }

        foreach (var who in earlier.Staff.Where(w => !State.Staff.Contains(w)))
        {
            State.Staff.Add(who);
        }

        foreach (var pending in earlier.Pending.Where(p => !State.Pending.Any(q => q.Site == p.Site && q.StaffId == p.StaffId)))
        {
            State.Pending.Add(pending);
        }

        foreach (var text in earlier.Recent.Where(t => !State.Recent.Contains(t)))
        {
            Remember(text);
        }

        foreach (var sid in earlier.HandledOrder.Where(sid => !State.Handled.ContainsKey(sid)))
        {
            State.Handled[sid] = earlier.Handled.GetValueOrDefault(sid);
            State.HandledOrder.Add(sid);
        }

        await WriteAsync();
    }

    // One way: the site awaits this grain (RegisterStaff), so this grain never awaits the site.
    private void TellSite(string site, string staffId) =>
        GrainFactory.GetGrain<Sites.ISiteGrain>(site)
            .StaffPhoneOptedOut(staffId, this.GetPrimaryKeyString(), State.OptedOut).Ignore();

    // Texts are written behind, off the send path. A customer text is written within a second (it is how their reply
    // finds the promise); a staff text only ranks what a bare "DONE" means (the index stands in if lost), so it stays
    // in memory and rides along with the phone's next write.
    private bool _textedPending;
    private IGrainTimer? _flush;

    public async Task Texted(HandsetText text)
    {
        if (text.StaffId is not null && !Stored.Loaded)
        {
            _notedBeforeLoad.RemoveAll(t => t.CommitmentId == text.CommitmentId && t.Kind == text.Kind);
            _notedBeforeLoad.Add(text);
            if (_notedBeforeLoad.Count > MaxRecent)
            {
                _notedBeforeLoad.RemoveRange(0, _notedBeforeLoad.Count - MaxRecent);
            }

            return;
        }

        await EnsureLoadedAsync();
        Remember(text);
        if (text.StaffId is not null)
        {
            return;
        }

        _textedPending = true;
        _flush ??= this.RegisterGrainTimer(
            FlushAsync, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private void Remember(HandsetText text)
    {
        var cutoff = time.GetUtcNow() - ReplyWindow;
        State.Recent.RemoveAll(t => t.At < cutoff || (t.CommitmentId == text.CommitmentId && t.Kind == text.Kind));
        State.Recent.Add(text);
        State.Recent.Sort((a, b) => a.At.CompareTo(b.At));
        if (State.Recent.Count > MaxRecent)
        {
            State.Recent.RemoveRange(0, State.Recent.Count - MaxRecent);
        }

        // A new text resets the limit on answers to replies that act on nothing.
        State.PassiveReplies = 0;
    }

    // Not the timer's token: disposing the one-shot timer cancels it, and the write must go through.
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var timer = _flush;
        _flush = null;
        if (_textedPending)
        {
            _textedPending = false;
            await Stored.WriteAsync(CancellationToken.None);
        }

        timer?.Dispose();
    }

    private Task WriteAsync()
    {
        _textedPending = false;
        return Stored.WriteAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    public async Task RegisterStaff(string site, string staffId, bool active)
    {
        await EnsureLoadedAsync();
        if (active && State.OptedOut)
        {
            // The person's phone texted STOP before they were added (or while the site did not know).
            TellSite(site, staffId);
        }

        var known = State.Staff.Any(s => s.Site == site && s.StaffId == staffId);
        var pending = State.Pending.RemoveAll(p => p.Site == site && p.StaffId == staffId) > 0;
        if (known == active && !pending)
        {
            return;
        }

        State.Staff.RemoveAll(s => s.Site == site && s.StaffId == staffId);
        if (active)
        {
            State.Staff.Add(new StaffRef(site, staffId));
        }

        await WriteAsync();
    }

    public async Task<bool> ExpectVerification(VerificationRequest request)
    {
        await EnsureLoadedAsync();
        if (State.Staff.Any(s => s.Site == request.Site && s.StaffId == request.StaffId))
        {
            return true;
        }

        // A new code replaces the person's earlier one; codes that ran out are dropped on the way.
        var now = time.GetUtcNow();
        State.Pending.RemoveAll(p => (p.Site == request.Site && p.StaffId == request.StaffId) || p.ExpiresAt <= now);
        State.Pending.Add(new PendingVerification
        {
            Site = request.Site,
            StaffId = request.StaffId,
            CodeHash = request.CodeHash,
            ExpiresAt = request.ExpiresAt,
            SiteName = request.SiteName,
            StaffName = request.StaffName,
        });
        await WriteAsync();
        return false;
    }

    public async Task<bool> IsStaffOf(string site, string staffId)
    {
        await EnsureLoadedAsync();
        return State.Staff.Any(s => s.Site == site && s.StaffId == staffId);
    }

    public async Task<InboundReply> Receive(InboundText text)
    {
        await EnsureLoadedAsync();
        if (State.Handled.TryGetValue(text.MessageSid, out var earlier))
        {
            return new InboundReply(earlier, "duplicate");
        }

        var reply = await Handle(text.Body ?? "");
        if (reply.Outcome == UnknownNumber && State.Staff.Count == 0 && State.Recent.Count == 0 && State.Pending.Count == 0
            && !State.OptedOut && !_textedPending)
        {
            // A stranger's number leaves no record (an older one is removed), so many numbers cannot grow storage.
            if (Stored.RecordExists)
            {
                await Stored.ClearAsync();
            }

            LogReceived(logger, this.GetPrimaryKeyString(), reply.Outcome);
            return new InboundReply(null, reply.Outcome);
        }

        var message = reply.Passive && State.PassiveReplies++ >= MaxPassiveReplies ? null : reply.Message;
        if (!reply.Passive)
        {
            State.PassiveReplies = 0;
        }

        State.Handled[text.MessageSid] = message;
        State.HandledOrder.Add(text.MessageSid);
        if (State.HandledOrder.Count > 50)
        {
            State.Handled.Remove(State.HandledOrder[0]);
            State.HandledOrder.RemoveAt(0);
        }

        await WriteAsync();
        LogReceived(logger, this.GetPrimaryKeyString(), reply.Outcome);
        return new InboundReply(message, reply.Outcome);
    }

    private const string UnknownNumber = "unknown-number";

    private sealed record Handling(string? Message, string Outcome, bool Passive);

    private async Task<Handling> Handle(string body)
    {
        var trimmed = body.Trim();
        var word = trimmed.ToUpperInvariant();

        // Twilio's opt-out keywords (a whole-body, single-word match) and its own auto-replies (§3).
        if (StopWords.Contains(word))
        {
            await SetOptedOut(true);
            return new(null, "opted-out", Passive: false);
        }

        if (StartWords.Contains(word) || (word == "YES" && State.OptedOut))
        {
            await SetOptedOut(false);
            return new(null, "opted-in", Passive: false);
        }

        // VERIFY from a staff phone with nothing waiting is told so; from anyone else it is just a reply.
        if (Sites.StaffPhoneCodes.InReply(trimmed) is { } verify
            && (State.Pending.Count > 0 || (verify.Verb && State.Staff.Count > 0)))
        {
            return HandleVerification(verify.Code);
        }

        var cutoff = time.GetUtcNow() - ReplyWindow;
        var lastToCustomer = State.Recent.Where(t => t.StaffId is null && t.At >= cutoff).OrderByDescending(t => t.At).FirstOrDefault();

        // Non-commands from a staff phone we also texted as a customer (a colleague as a guest) are customer replies.
        var staff = State.Staff;
        if (staff.Count > 0 && (lastToCustomer is null || StaffVerb(trimmed) is not null))
        {
            return await HandleStaff(trimmed, staff);
        }

        if (lastToCustomer is null)
        {
            // An unknown number gets no answer, so two robots can never text each other forever.
            return new(null, UnknownNumber, Passive: true);
        }

        if (HelpWords.Contains(word))
        {
            return new(null, "help", Passive: true);
        }

        var grain = GrainFactory.GetGrain<ICommitmentGrain>(CommitmentKey.For(lastToCustomer.Site, lastToCustomer.CommitmentId));
        var answer = await grain.CustomerReplied(trimmed);
        return new(answer, "customer-replied", Passive: false);
    }

    private Handling HandleVerification(string code)
    {
        var now = time.GetUtcNow();
        State.Pending.RemoveAll(p => p.ExpiresAt <= now);
        if (State.Pending.Count == 0)
        {
            return new(Template("ReplyVerifyNothing"), "verify-nothing", Passive: true);
        }

        var key = this.GetPrimaryKeyString();
        var match = State.Pending.FirstOrDefault(p => Sites.StaffPhoneCodes.Matches(p.CodeHash, p.Site, p.StaffId, code));
        if (match is null)
        {
            // A code is six digits: after a few wrong ones it is void, and the manager sends a new one.
            foreach (var pending in State.Pending)
            {
                pending.WrongCodes++;
            }

            State.Pending.RemoveAll(p => p.WrongCodes >= Sites.StaffPhoneCodes.MaxWrongCodes);
            return new(Template("ReplyVerifyWrong"), "verify-wrong", Passive: true);
        }

        State.Pending.Remove(match);
        if (!State.Staff.Any(s => s.Site == match.Site && s.StaffId == match.StaffId))
        {
            State.Staff.Add(new StaffRef(match.Site, match.StaffId));
        }

        // One way toward the site; if lost, the site asks again (IsStaffOf) when it next starts or resends.
        GrainFactory.GetGrain<Sites.ISiteGrain>(match.Site).StaffPhoneVerified(match.StaffId, key).Ignore();
        if (State.OptedOut)
        {
            TellSite(match.Site, match.StaffId);
        }

        return new(
            Template("ReplyVerified", ("name", TextTemplates.Name(match.StaffName)), ("site", match.SiteName)), "verified", Passive: false);
    }

    private async Task<Handling> HandleStaff(string body, List<StaffRef> staff)
    {
        var tokens = body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var verb = StaffVerb(body);
        if (verb is null)
        {
            return new(Template("ReplyNotUnderstood"), "not-understood", Passive: true);
        }

        if (verb == "help")
        {
            return new(Template("StaffHelp"), "help", Passive: true);
        }

        var rest = tokens.Skip(1).ToList();
        string? code = rest.Count > 0 && ReplyCodes.LooksLikeCode(rest[0].Trim('#', '"', '\'').ToUpperInvariant())
            ? rest[0].Trim('#', '"', '\'').ToUpperInvariant()
            : null;
        var reason = string.Join(' ', code is null ? rest : rest.Skip(1)).Trim();

        (StaffRef Who, IndexEntry Entry)? target;
        if (code is not null)
        {
            target = await FindByCode(staff, code);
            if (target is null)
            {
                return new(Template("ReplyUnknownCode", ("code", code)), "unknown-code", Passive: true);
            }
        }
        else
        {
            var candidates = await Candidates(staff, verb);
            if (candidates.Count == 0)
            {
                return new(Template("ReplyNothingOpen"), "nothing-open", Passive: true);
            }

            target = Newest(candidates);
            if (target is null)
            {
                var codes = candidates.Select(c => c.Entry.ReplyCode).Where(c => c is not null).ToList();
                return new(
                    Template("ReplyWhich", ("codes", string.Join(", ", codes)), ("first", codes.FirstOrDefault() ?? "")),
                    "ambiguous",
                    Passive: true);
            }
        }

        var (who, entry) = target.Value;
        var actor = Actor.Staff(who.StaffId);
        var grain = GrainFactory.GetGrain<ICommitmentGrain>(CommitmentKey.For(who.Site, entry.Id));
        var shownCode = entry.ReplyCode ?? code ?? "";
        try
        {
            switch (verb)
            {
                case "accept":
                    var accepted = await grain.AcceptHandoff(actor);
                    return new(Template("ReplyAccepted", ("code", shownCode), ("what", Short(accepted.What))), "accepted", Passive: false);
                case "decline" when reason.Length == 0:
                    return new(Template("ReplyNeedsReason", ("code", shownCode)), "needs-reason", Passive: true);
                case "decline":
                    var declined = await grain.DeclineHandoff(actor, reason);
                    return new(Template("ReplyDeclined", ("code", shownCode), ("owner", declined.Owner)), "declined", Passive: false);
                case "done":
                    var done = await grain.Complete(actor, null);
                    return new(Template("ReplyDone", ("code", shownCode), ("what", Short(done.What))), "done", Passive: false);
                default:
                    await grain.Acknowledge(actor);
                    return new(Template("ReplyAcknowledged", ("code", shownCode)), "acknowledged", Passive: false);
            }
        }
        catch (RuleViolationException ex)
        {
            return new(Template("ReplyRefused", ("code", shownCode), ("reason", ex.Message)), "refused", Passive: true);
        }
    }

    /// <summary>
    /// The promise of the newest actionable text; null (ambiguous: the answer lists codes) when another was texted within
    /// <see cref="AmbiguityWindow"/> of it.
    /// </summary>
    private (StaffRef, IndexEntry)? Newest(List<(StaffRef Who, IndexEntry Entry)> candidates)
    {
        if (candidates.Count == 1)
        {
            return candidates[0];
        }

        // When a promise's text to this phone is not on record yet, its last change stands in for it.
        var ranked = candidates
            .Select(c => (
                Candidate: c,
                At: State.Recent.Where(t => t.CommitmentId == c.Entry.Id).Select(t => (DateTimeOffset?)t.At).Max() ?? c.Entry.UpdatedAt))
            .OrderByDescending(c => c.At)
            .ToList();
        return ranked[0].At - ranked[1].At < AmbiguityWindow ? null : ranked[0].Candidate;
    }

    private static string? StaffVerb(string body)
    {
        var first = body.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        return first.ToUpperInvariant().Trim('"', '\'', '.', '!') switch
        {
            "YES" or "ACCEPT" or "Y" => "accept",
            "NO" or "DECLINE" or "N" => "decline",
            "DONE" or "COMPLETE" => "done",
            "ACK" or "OK" => "ack",
            "HELP" or "INFO" or "?" => "help",
            _ => null,
        };
    }

    private async Task<(StaffRef, IndexEntry)?> FindByCode(List<StaffRef> staff, string code)
    {
        foreach (var who in staff)
        {
            if (await GrainFactory.GetGrain<ISiteIndexGrain>(who.Site).FindByReplyCode(code) is { } entry)
            {
                return (who, entry);
            }
        }

        return null;
    }

    /// <summary>What a bare command could mean: offers to this person (YES/NO) or what they own (DONE/ACK).</summary>
    private async Task<List<(StaffRef Who, IndexEntry Entry)>> Candidates(List<StaffRef> staff, string verb)
    {
        var found = new List<(StaffRef, IndexEntry)>();
        foreach (var who in staff)
        {
            var index = GrainFactory.GetGrain<ISiteIndexGrain>(who.Site);
            var entries = verb is "accept" or "decline"
                ? await index.OfferedTo(who.StaffId)
                : await index.Query(new IndexQuery(CommitmentStatus.Open, who.StaffId, Limit: IndexQuery.MaxLimit));
            found.AddRange(entries.Select(e => (who, e)));
        }

        return found;
    }

    private static string Short(string what) => what.Length <= 60 ? what : what[..59] + "…";

    private static string Template(string key, params (string Name, string Value)[] values) =>
        TextTemplates.Render(key, TextTemplates.DefaultLanguage, values.ToDictionary(v => v.Name, v => v.Value), "reason", "what");

    [LoggerMessage(Level = LogLevel.Information, Message = "Reply from handset {Handset}: {Outcome}")]
    private static partial void LogReceived(ILogger logger, string handset, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handset {Handset} opted out: {OptedOut}")]
    private static partial void LogOptOut(ILogger logger, string handset, bool optedOut);
}
