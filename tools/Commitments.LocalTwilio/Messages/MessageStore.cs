using System.Security.Cryptography;
using Commitments.LocalTwilio.Delivery;
using Commitments.LocalTwilio.Faults;
using Microsoft.Extensions.Options;

namespace Commitments.LocalTwilio.Messages;

/// <summary>What a new message is made of; the store adds SID, times and history.</summary>
internal sealed record NewMessage(
    string From,
    string To,
    string Body,
    string Direction,
    string Status,
    string? MessagingServiceSid = null,
    int NumSegments = 1,
    int NumMedia = 0,
    string? StatusCallback = null,
    int? ValidityPeriod = null,
    int? ErrorCode = null,
    string SidPrefix = "SM");

/// <summary>A status change that may need a callback: where to send it and the form to send.</summary>
internal sealed record StatusEvent(string Sid, string Status, string? CallbackUrl, IReadOnlyList<KeyValuePair<string, string>> Form);

/// <summary>
/// Everything the fake remembers: messages, opt-outs, numbers' webhook URLs, queued faults and the
/// lifecycle and callback switches. One lock guards it all; nothing here does I/O.
/// </summary>
internal sealed class MessageStore
{
    private readonly Lock _gate = new();
    private readonly List<StoredMessage> _messages = [];
    private readonly Dictionary<string, StoredMessage> _bySid = new(StringComparer.Ordinal);
    private readonly HashSet<(string Handset, string Number)> _optOuts = [];
    private readonly Dictionary<string, string?> _smsUrls = new(StringComparer.Ordinal);
    private readonly Queue<Fault> _faults = new();
    private readonly TimeProvider _time;
    private long _sequence;
    private CallbackMode _callbackMode = CallbackMode.Normal;
    private LifecycleSettings _lifecycle;
    private CancellationTokenSource _generation = new();

    public MessageStore(IOptions<LocalTwilioOptions> options, TimeProvider time)
    {
        Options = options.Value;
        _time = time;
        _lifecycle = LifecycleSettings.From(Options.Lifecycle);
        foreach (var number in Options.MessagingServices.SelectMany(s => s.Numbers))
        {
            _smsUrls[number] = null;
        }
        foreach (var number in Options.PhoneNumbers)
        {
            _smsUrls[number.Number] = number.SmsUrl;
        }
    }

    public LocalTwilioOptions Options { get; }

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Cancelled by <see cref="Reset"/> so a forgotten message's lifecycle stops calling back.</summary>
    public CancellationToken Generation
    {
        get
        {
            lock (_gate)
            {
                return _generation.Token;
            }
        }
    }

    // Numbers and services (configuration, plus webhook URLs set at run time).

    public bool IsOwned(string number)
    {
        lock (_gate)
        {
            return _smsUrls.ContainsKey(number);
        }
    }

    public MessagingServiceOptions? FindService(string sid) =>
        Options.MessagingServices.FirstOrDefault(s => string.Equals(s.Sid, sid, StringComparison.OrdinalIgnoreCase));

    public MessagingServiceOptions? ServiceOf(string number) =>
        Options.MessagingServices.FirstOrDefault(s => s.Numbers.Contains(number, StringComparer.Ordinal));

    public string? SmsUrl(string number)
    {
        lock (_gate)
        {
            return _smsUrls.GetValueOrDefault(number);
        }
    }

    public bool SetSmsUrl(string number, string? url)
    {
        lock (_gate)
        {
            if (!_smsUrls.ContainsKey(number))
            {
                return false;
            }
            _smsUrls[number] = url;
            return true;
        }
    }

    public IReadOnlyList<(string Number, string? SmsUrl, string? MessagingServiceSid)> Numbers()
    {
        lock (_gate)
        {
            return [.. _smsUrls.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value, ServiceOf(p.Key)?.Sid))];
        }
    }

    // Opt-outs: a STOP to a number in a messaging service blocks the handset for the whole pool.

    public bool IsOptedOut(string handset, string number)
    {
        lock (_gate)
        {
            return _optOuts.Contains((handset, number));
        }
    }

    public void SetOptOut(string handset, string number, bool optedOut)
    {
        var numbers = ServiceOf(number)?.Numbers.Append(number).Distinct() ?? [number];
        lock (_gate)
        {
            foreach (var n in numbers)
            {
                if (optedOut)
                {
                    _optOuts.Add((handset, n));
                }
                else
                {
                    _optOuts.Remove((handset, n));
                }
            }
        }
    }

    public IReadOnlyList<(string Handset, string Number)> OptOuts()
    {
        lock (_gate)
        {
            return [.. _optOuts.OrderBy(o => o.Handset, StringComparer.Ordinal).ThenBy(o => o.Number, StringComparer.Ordinal)];
        }
    }

    // Switches.

    public CallbackMode CallbackMode
    {
        get
        {
            lock (_gate)
            {
                return _callbackMode;
            }
        }
        set
        {
            lock (_gate)
            {
                _callbackMode = value;
            }
        }
    }

    public LifecycleSettings Lifecycle
    {
        get
        {
            lock (_gate)
            {
                return _lifecycle;
            }
        }
        set
        {
            lock (_gate)
            {
                _lifecycle = value;
            }
        }
    }

    public int AddFaults(Fault fault, int count)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _faults.Enqueue(fault);
            }
            return _faults.Count;
        }
    }

    public Fault? TakeFault()
    {
        lock (_gate)
        {
            return _faults.TryDequeue(out var fault) ? fault : null;
        }
    }

    public IReadOnlyList<Fault> PendingFaults()
    {
        lock (_gate)
        {
            return [.. _faults];
        }
    }

    public void ClearFaults()
    {
        lock (_gate)
        {
            _faults.Clear();
        }
    }

    /// <summary>Forgets messages, faults, opt-outs and switches; keeps configuration and the numbers' webhook URLs.</summary>
    public void Reset()
    {
        CancellationTokenSource old;
        lock (_gate)
        {
            _messages.Clear();
            _bySid.Clear();
            _optOuts.Clear();
            _faults.Clear();
            _callbackMode = CallbackMode.Normal;
            _lifecycle = LifecycleSettings.From(Options.Lifecycle);
            old = _generation;
            _generation = new CancellationTokenSource();
        }
        old.Cancel();
        old.Dispose();
    }

    // Messages.

    public StoredMessage Add(NewMessage spec)
    {
        var now = TwilioDates.Truncate(Now);
        var message = new StoredMessage
        {
            Sid = spec.SidPrefix + RandomNumberGenerator.GetHexString(32, lowercase: true),
            Sequence = Interlocked.Increment(ref _sequence),
            AccountSid = Options.AccountSid,
            MessagingServiceSid = spec.MessagingServiceSid,
            From = spec.From,
            To = spec.To,
            Body = spec.Body,
            Direction = spec.Direction,
            Status = spec.Status,
            NumSegments = spec.NumSegments,
            NumMedia = spec.NumMedia,
            ErrorCode = spec.ErrorCode,
            ErrorMessage = Statuses.ErrorMessage(spec.ErrorCode),
            DateCreated = now,
            DateUpdated = now,
            DateSent = spec.Status is "sent" or "delivered" or "received" ? now : null,
            StatusCallback = spec.StatusCallback,
            ValidityPeriod = spec.ValidityPeriod,
        };
        message.StatusHistory.Add(new StatusChange(spec.Status, Now));
        lock (_gate)
        {
            _messages.Add(message);
            _bySid[message.Sid] = message;
        }
        return message;
    }

    /// <summary>Runs <paramref name="read"/> under the lock on the message with this SID (deleted ones too), or returns default.</summary>
    public T? Read<T>(string sid, Func<StoredMessage, T> read)
    {
        lock (_gate)
        {
            return _bySid.TryGetValue(sid, out var message) ? read(message) : default;
        }
    }

    /// <summary>Projects, oldest first, every message matching <paramref name="where"/>.</summary>
    public IReadOnlyList<T> Select<T>(Func<StoredMessage, bool> where, Func<StoredMessage, T> project)
    {
        lock (_gate)
        {
            return [.. _messages.Where(where).Select(project)];
        }
    }

    public T Update<T>(string sid, Func<StoredMessage?, T> change)
    {
        lock (_gate)
        {
            return change(_bySid.GetValueOrDefault(sid));
        }
    }

    /// <summary>
    /// Moves a live message to <paramref name="status"/> if <paramref name="allowed"/> says so, and returns
    /// the status callback it calls for; null when the message is gone or the move is not allowed.
    /// </summary>
    public StatusEvent? Transition(string sid, string status, int? errorCode, Func<StoredMessage, bool> allowed)
    {
        lock (_gate)
        {
            if (!_bySid.TryGetValue(sid, out var message) || message.Deleted || !allowed(message))
            {
                return null;
            }
            var now = Now;
            message.Status = status;
            message.DateUpdated = TwilioDates.Truncate(now);
            if (status is "sent" or "delivered" or "undelivered" or "read")
            {
                message.DateSent ??= TwilioDates.Truncate(now);
            }
            if (status is "failed" or "undelivered")
            {
                message.ErrorCode = errorCode ?? Statuses.DefaultErrorCode(status);
                message.ErrorMessage = Statuses.ErrorMessage(message.ErrorCode);
            }
            message.StatusHistory.Add(new StatusChange(status, now));
            return new StatusEvent(message.Sid, status, message.StatusCallback, CallbackForm(message, now));
        }
    }

    public void RecordCallback(string sid, CallbackRecord record)
    {
        lock (_gate)
        {
            if (_bySid.TryGetValue(sid, out var message))
            {
                message.Callbacks.Add(record);
            }
        }
    }

    /// <summary>The status callback parameters of spec §2, as of now.</summary>
    private static List<KeyValuePair<string, string>> CallbackForm(StoredMessage m, DateTimeOffset now)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("MessageSid", m.Sid),
            new("SmsSid", m.Sid),
            new("MessageStatus", m.Status),
            new("SmsStatus", m.Status),
            new("AccountSid", m.AccountSid),
            new("From", m.From),
            new("To", m.To),
            new("ApiVersion", MessageResource.ApiVersionValue),
        };
        if (m.MessagingServiceSid is not null)
        {
            form.Add(new("MessagingServiceSid", m.MessagingServiceSid));
        }
        if (m.Status is "failed" or "undelivered" && m.ErrorCode is { } code)
        {
            form.Add(new("ErrorCode", code.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        if (m.Status is "delivered" or "undelivered")
        {
            form.Add(new("RawDlrDoneDate", TwilioDates.DlrDoneDate(now)));
        }
        return form;
    }
}
