using Commitments.LocalTwilio.Delivery;
using Commitments.LocalTwilio.Faults;
using Commitments.LocalTwilio.Messages;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Commitments.LocalTwilio.Control;

/// <summary>The fake's own API for tests and a dev page (not Twilio's): JSON, camelCase, no auth, ProblemDetails on bad input.</summary>
internal static class ControlApi
{
    public static RouteGroupBuilder MapControlApi(this RouteGroupBuilder fake)
    {
        fake.MapGet("/messages", (string? to, string? from, string? direction, MessageStore store) =>
            TypedResults.Ok(store.Select(
                m => (string.IsNullOrEmpty(to) || m.To == to)
                     && (string.IsNullOrEmpty(from) || m.From == from)
                     && (string.IsNullOrEmpty(direction) || m.Direction == direction),
                FakeMessage.Of)));
        fake.MapGet("/messages/{sid}", GetMessage);
        fake.MapPost("/messages/{sid}/status", SetStatusAsync);

        fake.MapGet("/lifecycle", (MessageStore store) => TypedResults.Ok(View(store.Lifecycle)));
        fake.MapPost("/lifecycle", SetLifecycle);

        fake.MapGet("/callbacks", (MessageStore store) => TypedResults.Ok(new CallbackModeView(Name(store.CallbackMode))));
        fake.MapPost("/callbacks", SetCallbackMode);

        fake.MapGet("/faults", (MessageStore store) => TypedResults.Ok(Faults(store)));
        fake.MapPost("/faults", AddFaults);
        fake.MapDelete("/faults", (MessageStore store) =>
        {
            store.ClearFaults();
            return TypedResults.NoContent();
        });

        fake.MapGet("/numbers", (MessageStore store) =>
            TypedResults.Ok(store.Numbers().Select(n => new NumberView(n.Number, n.SmsUrl, n.MessagingServiceSid)).ToList()));
        fake.MapPut("/numbers/{number}", SetNumber);

        fake.MapGet("/conversations", Conversations);
        fake.MapGet("/optouts", (MessageStore store) =>
            TypedResults.Ok(store.OptOuts().Select(o => new OptOutView(o.Handset, o.Number)).ToList()));

        fake.MapPost("/reset", (MessageStore store) =>
        {
            store.Reset();
            return TypedResults.NoContent();
        });
        return fake;
    }

    private static Results<Ok<FakeMessage>, NotFound> GetMessage(string sid, MessageStore store) =>
        store.Read(sid, FakeMessage.Of) is { } message ? TypedResults.Ok(message) : TypedResults.NotFound();

    /// <summary>Sets any status by hand and sends its signed callback: the manual lifecycle.</summary>
    private static async Task<Results<Ok<FakeMessage>, NotFound, ProblemHttpResult>> SetStatusAsync(
        string sid, SetStatusRequest request, MessageStore store, Lifecycle lifecycle, CancellationToken ct)
    {
        if (request.Status is null || !Statuses.All.Contains(request.Status))
        {
            return TypedResults.Problem($"status '{request.Status}' is not one of: {string.Join(", ", Statuses.All)}.", statusCode: 400);
        }
        if (store.Transition(sid, request.Status, request.ErrorCode, _ => true) is not { } change)
        {
            return TypedResults.NotFound();
        }
        await lifecycle.DeliverAsync(change, ct);
        return TypedResults.Ok(store.Read(sid, FakeMessage.Of)!);
    }

    private static Results<Ok<LifecycleView>, ProblemHttpResult> SetLifecycle(LifecycleRequest request, MessageStore store)
    {
        var current = store.Lifecycle;
        if (request.FinalStatus is not null && !LifecycleSettings.FinalStatuses.Contains(request.FinalStatus))
        {
            return TypedResults.Problem($"finalStatus '{request.FinalStatus}' is not one of: {string.Join(", ", LifecycleSettings.FinalStatuses)}.", statusCode: 400);
        }
        if (request.StepDelayMs is < 0)
        {
            return TypedResults.Problem("stepDelayMs must not be negative.", statusCode: 400);
        }
        var updated = new LifecycleSettings(
            request.Auto ?? current.Auto,
            request.StepDelayMs is { } ms ? TimeSpan.FromMilliseconds(ms) : current.StepDelay,
            request.FinalStatus ?? current.FinalStatus,
            request.ErrorCode ?? (request.FinalStatus is null ? current.ErrorCode : null));
        store.Lifecycle = updated;
        return TypedResults.Ok(View(updated));
    }

    private static Results<Ok<CallbackModeView>, ProblemHttpResult> SetCallbackMode(CallbackModeRequest request, MessageStore store)
    {
        if (!Enum.TryParse<CallbackMode>(request.Mode, ignoreCase: true, out var mode) || !Enum.IsDefined(mode))
        {
            return TypedResults.Problem($"mode '{request.Mode}' is not one of: normal, reorder, duplicate, drop.", statusCode: 400);
        }
        store.CallbackMode = mode;
        return TypedResults.Ok(new CallbackModeView(Name(mode)));
    }

    private static Results<Ok<IReadOnlyList<FaultView>>, ProblemHttpResult> AddFaults(FaultRequest request, MessageStore store)
    {
        if (!Fault.TryParse(request.Kind, out var kind))
        {
            return TypedResults.Problem($"kind '{request.Kind}' is not one of: {string.Join(", ", Fault.Names)}.", statusCode: 400);
        }
        if (request.Count is < 1 || request.DelayMs is < 0)
        {
            return TypedResults.Problem("count must be 1 or more and delayMs not negative.", statusCode: 400);
        }
        var delay = request.DelayMs is { } ms ? TimeSpan.FromMilliseconds(ms) : Fault.DefaultDelay(kind);
        store.AddFaults(new Fault(kind, delay), request.Count ?? 1);
        return TypedResults.Ok(Faults(store));
    }

    private static Results<Ok<NumberView>, NotFound, ProblemHttpResult> SetNumber(string number, NumberRequest request, MessageStore store)
    {
        if (request.SmsUrl is not null && !SendValidation.IsWebhookUrl(request.SmsUrl))
        {
            return TypedResults.Problem($"smsUrl '{request.SmsUrl}' must be an absolute http(s) URL with a valid host name.", statusCode: 400);
        }
        return store.SetSmsUrl(number, request.SmsUrl)
            ? TypedResults.Ok(new NumberView(number, request.SmsUrl, store.ServiceOf(number)?.Sid))
            : TypedResults.NotFound();
    }

    /// <summary>Each handset's thread with our numbers, oldest first, for a dev page that shows phones.</summary>
    private static Ok<List<Conversation>> Conversations(MessageStore store) =>
        TypedResults.Ok(store.Select(_ => true, FakeMessage.Of)
            .GroupBy(m => m.Direction == Directions.Inbound ? m.From : m.To, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Conversation(g.Key, [.. g]))
            .ToList());

    private static IReadOnlyList<FaultView> Faults(MessageStore store) =>
        [.. store.PendingFaults().Select(f => new FaultView(f.Name, (int)f.Delay.TotalMilliseconds))];

    private static LifecycleView View(LifecycleSettings s) => new(s.Auto, (int)s.StepDelay.TotalMilliseconds, s.FinalStatus, s.ErrorCode);

    private static string Name(CallbackMode mode) => mode.ToString().ToLowerInvariant();
}
