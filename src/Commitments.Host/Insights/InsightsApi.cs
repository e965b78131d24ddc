using Commitments.Grains.Common;
using Commitments.Grains.Index;
using Commitments.Grains.Insights;
using Commitments.Host.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Commitments.Host.Insights;

public sealed record InsightsRebuilt(int PromisesRead);

/// <summary>The gap map is derived from the ledger, so a manager can have it recounted from the stored promises.</summary>
internal static class InsightsApi
{
    public static RouteHandlerBuilder MapInsightsApi(this RouteGroupBuilder site) =>
        site.MapPost("/insights/rebuild", Rebuild).WithTags("Insights").WithName("RebuildInsights");

    private static async Task<Ok<InsightsRebuilt>> Rebuild(
        HttpContext http, IGrainFactory grains, ICommitmentStateSource source, CancellationToken cancellationToken)
    {
        var request = SiteRequest.From(http);
        if (await request.Site.GetStaff(request.Actor.Id) is not { IsManager: true, Active: true })
        {
            throw RuleViolationException.Forbidden("Only a manager can rebuild the gap map.");
        }

        return TypedResults.Ok(new InsightsRebuilt(await InsightEvents.RebuildAsync(grains, source, request.SiteId, cancellationToken)));
    }
}
