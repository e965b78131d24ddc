using Azure.Data.Tables;
using Commitments.Grains.Common;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Storage;

/// <summary>
/// Whether storage answers, probed every <see cref="StorageOptions.ProbeInterval"/>, so requests get a 503 at once
/// instead of waiting on grains; it recovers on the next answered probe without a restart.
/// </summary>
public sealed partial class StorageHealth(
    TableServiceClient tables, IOptions<StorageOptions> options, TimeProvider time, ILogger<StorageHealth> logger)
    : BackgroundService
{
    private volatile bool _answering = true;

    public bool IsAnswering => _answering;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ProbeInterval, time);
        do
        {
            var answered = await ProbeAsync(stoppingToken);
            if (answered != _answering)
            {
                _answering = answered;
                LogChanged(logger, answered);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One cheap request (a page of one table name), given <see cref="StorageOptions.ProbeTimeout"/>.</summary>
    public async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.ProbeTimeout);
        try
        {
            await foreach (var _ in tables.QueryAsync(maxPerPage: 1, cancellationToken: timeout.Token).AsPages(pageSizeHint: 1))
            {
                break;
            }

            return true;
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or OperationCanceledException
            or HttpRequestException or AggregateException
            && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage answering: {Answering}")]
    private static partial void LogChanged(ILogger logger, bool answering);
}

/// <summary>
/// The deadline (<see cref="StorageOptions.CallTimeout"/>) for grain calls of one API request or page action, kept by
/// <see cref="CallDeadlineFilter"/>; grain-to-grain calls, jobs and start-up passes never carry it.
/// </summary>
public static class CallDeadline
{
    private static readonly AsyncLocal<DateTimeOffset?> Current = new();

    public static DateTimeOffset? At => Current.Value;

    /// <summary>Sets the deadline <paramref name="within"/> from now, restored on dispose.</summary>
    public static IDisposable Start(TimeProvider time, TimeSpan within)
    {
        var before = Current.Value;
        Current.Value = time.GetUtcNow() + within;
        return new Restore(before);
    }

    private sealed class Restore(DateTimeOffset? before) : IDisposable
    {
        public void Dispose() => Current.Value = before;
    }
}

/// <summary>
/// Under a <see cref="CallDeadline"/>, a call fails as <see cref="RuleViolationException.StorageUnavailable"/> while storage is
/// down or once past the deadline with storage down; slow calls while storage answers are awaited. The grain writes whole or not at all.
/// </summary>
internal sealed class CallDeadlineFilter(StorageHealth storage, IOptions<StorageOptions> options, TimeProvider time)
    : IOutgoingGrainCallFilter
{
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (CallDeadline.At is not { } at)
        {
            await context.Invoke();
            return;
        }

        if (!storage.IsAnswering)
        {
            throw RuleViolationException.StorageUnavailable();
        }

        var call = context.Invoke();
        var left = at - time.GetUtcNow();
        var wait = left > TimeSpan.Zero ? left : TimeSpan.Zero;
        while (true)
        {
            using var stop = new CancellationTokenSource();
            if (await Task.WhenAny(call, Task.Delay(wait, time, stop.Token)) == call)
            {
                await stop.CancelAsync();
                await call;
                return;
            }

            if (!storage.IsAnswering)
            {
                throw RuleViolationException.StorageUnavailable();
            }

            // Slow for another reason while storage answers: look again at the next probe.
            wait = options.Value.ProbeInterval;
        }
    }
}

internal static class StorageGate
{
    /// <summary>API requests: 503 while storage is down, else <see cref="StorageOptions.CallTimeout"/> for their grain calls.</summary>
    public static IApplicationBuilder UseStorageGate(this IApplicationBuilder app)
    {
        var health = app.ApplicationServices.GetRequiredService<StorageHealth>();
        var options = app.ApplicationServices.GetRequiredService<IOptions<StorageOptions>>().Value;
        var time = app.ApplicationServices.GetRequiredService<TimeProvider>();
        return app.Use(async (http, next) =>
        {
            if (!http.Request.Path.StartsWithSegments("/api"))
            {
                await next(http);
                return;
            }

            if (!health.IsAnswering)
            {
                throw RuleViolationException.StorageUnavailable();
            }

            using (CallDeadline.Start(time, options.CallTimeout))
            {
                await next(http);
            }
        });
    }
}

/// <summary>A page circuit's events get the same deadline as an API request (see <see cref="CallDeadlineFilter"/>).</summary>
internal sealed class CallDeadlineCircuitHandler(IOptions<StorageOptions> options, TimeProvider time)
    : Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler
{
    public override Func<Microsoft.AspNetCore.Components.Server.Circuits.CircuitInboundActivityContext, Task> CreateInboundActivityHandler(
        Func<Microsoft.AspNetCore.Components.Server.Circuits.CircuitInboundActivityContext, Task> next) =>
        async context =>
        {
            using (CallDeadline.Start(time, options.Value.CallTimeout))
            {
                await next(context);
            }
        };
}
