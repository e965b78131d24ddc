using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Index;
using Commitments.Host.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Commitments.Host.Commitments;

/// <summary>Promises: create, read, list, and every action on one (handoffs included).</summary>
internal static class CommitmentsApi
{
    public static RouteGroupBuilder MapCommitmentsApi(this RouteGroupBuilder site)
    {
        var group = site.MapGroup("/commitments").WithTags("Commitments");

        group.MapPost("/", Create).WithName("CreateCommitment");
        group.MapGet("/", List).WithName("ListCommitments");
        group.MapGet("/{id}", Get).WithName("GetCommitment");

        // Handoffs: the owner stays the owner until the named person accepts.
        group.MapPost("/{id}/handoff", (string id, HandoffRequest body, HttpContext http) =>
            Act(http, id, (g, a) => g.ProposeHandoff(a, body.To, body.Note)));
        group.MapPost("/{id}/handoff/accept", (string id, HttpContext http) => Act(http, id, (g, a) => g.AcceptHandoff(a)));
        group.MapPost("/{id}/handoff/decline", (string id, DeclineRequest body, HttpContext http) =>
            Act(http, id, (g, a) => g.DeclineHandoff(a, body.Reason)));
        group.MapPost("/{id}/handoff/withdraw", (string id, HttpContext http) => Act(http, id, (g, a) => g.WithdrawHandoff(a)));

        group.MapPost("/{id}/complete", (string id, CompleteRequest? body, HttpContext http) =>
            Act(http, id, (g, a) => g.Complete(a, body?.Note)));
        group.MapPost("/{id}/complete/undo", (string id, HttpContext http) => Act(http, id, (g, a) => g.UndoComplete(a)));
        group.MapPost("/{id}/reschedule", (string id, RescheduleRequest body, HttpContext http) =>
            Act(http, id, (g, a) => g.Reschedule(a, body.DueAt, body.Reason)));
        group.MapPost("/{id}/cancel", (string id, CancelRequest body, HttpContext http) =>
            Act(http, id, (g, a) => g.Cancel(a, body.Reason)));
        group.MapPost("/{id}/reopen", (string id, ReopenRequest body, HttpContext http) =>
            Act(http, id, (g, a) => g.Reopen(a, body.DueAt, body.Reason)));
        group.MapPost("/{id}/notes", (string id, NoteRequest body, HttpContext http) =>
            Act(http, id, (g, a) => g.AddNote(a, body.Text)));
        group.MapPost("/{id}/acknowledge", (string id, AcknowledgeRequest? body, HttpContext http) =>
            Act(http, id, (g, a) => g.Acknowledge(a, body?.Minutes)));

        site.MapGet("/staff/{staff}/inbox", Inbox).WithTags("Commitments").WithName("Inbox");
        return group;
    }

    private static async Task<Results<Created<CommitmentResponse>, Ok<CommitmentResponse>>> Create(
        CreateCommitmentRequest body, HttpContext http, IGrainFactory grains)
    {
        var request = SiteRequest.From(http);
        if (body.Id == Guid.Empty)
        {
            throw RuleViolationException.Invalid("id", "must not be the empty GUID; leave it out to have one chosen.");
        }

        var id = body.Id ?? Guid.NewGuid();
        var input = new NewCommitment(
            body.What,
            body.Customer is { } c ? new CustomerInput(c.Name, c.Mobile, c.Room, c.SmsConsent, c.Language) : null,
            body.DueAt,
            body.HandoffTo,
            body.HandoffNote);
        var grain = grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(request.SiteId, id));
        var result = await grain.Create(request.Actor, input);
        var site = await request.InfoAsync();
        var response = CommitmentResponse.From(result.Commitment, site.Zone);
        return result.Created
            ? TypedResults.Created($"/api/sites/{request.SiteId}/commitments/{id:D}", response)
            : TypedResults.Ok(response);
    }

    private static async Task<Ok<CommitmentResponse>> Get(string id, HttpContext http)
    {
        var request = SiteRequest.From(http);
        var view = await Grain(http, request, id).Get()
            ?? throw RuleViolationException.NotFound("id", "There is no promise with this id at this site.");
        var site = await request.InfoAsync();
        return TypedResults.Ok(CommitmentResponse.From(view, site.Zone));
    }

    private static async Task<Ok<CommitmentList>> List(
        HttpContext http, IGrainFactory grains, string? status, string? owner, string? team, string? limit)
    {
        var request = SiteRequest.From(http);
        var site = await request.InfoAsync();
        var v = new Validation();
        CommitmentStatus? wanted = status switch
        {
            null or "" or "open" => CommitmentStatus.Open,
            "done" => CommitmentStatus.Done,
            "cancelled" => CommitmentStatus.Cancelled,
            _ => null,
        };
        if (wanted is null)
        {
            v.Add("status", "must be one of: open, done, cancelled.");
        }

        var take = IndexQuery.DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, out take) || take < 1 || take > IndexQuery.MaxLimit))
        {
            v.Add("limit", $"must be a whole number from 1 to {IndexQuery.MaxLimit}.");
        }

        IReadOnlyList<string>? owners = null;
        if (!string.IsNullOrEmpty(owner) && await request.Site.GetStaff(owner) is null)
        {
            v.Add("owner", $"'{owner}' is not a staff member of this site.");
        }

        if (!string.IsNullOrEmpty(team))
        {
            if (site.Teams.All(t => t.Id != team))
            {
                v.Add("team", $"'{team}' is not a team of this site.");
            }
            else
            {
                var staff = await request.Site.ListStaff(includeInactive: true);
                owners = [.. staff.Where(s => s.Team == team).Select(s => s.Id)];
            }
        }

        v.ThrowIfInvalid();
        var index = grains.GetGrain<ISiteIndexGrain>(request.SiteId);
        var rows = await index.Query(new IndexQuery(wanted, string.IsNullOrEmpty(owner) ? null : owner, owners, take));
        return TypedResults.Ok(new CommitmentList([.. rows.Select(r => CommitmentSummary.From(r, site.Zone))]));
    }

    private static async Task<Ok<InboxResponse>> Inbox(string staff, HttpContext http, IGrainFactory grains)
    {
        var request = SiteRequest.From(http);
        var me = await request.Site.GetStaff(request.Actor.Id);
        if (staff != request.Actor.Id && me is not { IsManager: true })
        {
            throw RuleViolationException.Forbidden("You can see your own inbox; only a manager can see someone else's.");
        }

        if (await request.Site.GetStaff(staff) is null)
        {
            throw RuleViolationException.NotFound("staff", $"There is no staff member '{staff}' at this site.");
        }

        var site = await request.InfoAsync();
        var index = grains.GetGrain<ISiteIndexGrain>(request.SiteId);
        var owned = await index.Query(new IndexQuery(CommitmentStatus.Open, staff, Limit: IndexQuery.MaxLimit));
        var offered = await index.OfferedTo(staff);
        return TypedResults.Ok(new InboxResponse(
            staff,
            [.. owned.Select(r => CommitmentSummary.From(r, site.Zone))],
            [.. offered.Select(r => CommitmentSummary.From(r, site.Zone))]));
    }

    private static async Task<Ok<CommitmentResponse>> Act(
        HttpContext http, string id, Func<ICommitmentGrain, Actor, Task<CommitmentView>> action)
    {
        var request = SiteRequest.From(http);
        var view = await action(Grain(http, request, id), request.Actor);
        var site = await request.InfoAsync();
        return TypedResults.Ok(CommitmentResponse.From(view, site.Zone));
    }

    private static ICommitmentGrain Grain(HttpContext http, SiteRequest request, string id)
    {
        if (!Guid.TryParse(id, out var guid) || guid == Guid.Empty)
        {
            throw RuleViolationException.Invalid("id", $"'{(id.Length > 40 ? id[..40] + "…" : id)}' is not a promise id (a GUID).");
        }

        return http.RequestServices.GetRequiredService<IGrainFactory>()
            .GetGrain<ICommitmentGrain>(CommitmentKey.For(request.SiteId, guid));
    }
}
