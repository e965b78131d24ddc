using System.Text.Json;
using Commitments.Host.Problems;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Commitments.Host.Hosting;

/// <summary>Every error a client sees is ProblemDetails naming the field and what to do; never a stack trace.</summary>
internal static class ProblemHosting
{
    public static IHostApplicationBuilder AddCommitmentsProblems(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<RuleViolationHandler>();

        // Bad JSON and wrong content types throw, so the handler can say which field was wrong.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return builder;
    }
}

internal static class JsonHosting
{
    public static IHostApplicationBuilder AddCommitmentsJson(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip;
        });
        return builder;
    }
}
