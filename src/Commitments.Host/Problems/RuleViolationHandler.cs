using System.Text.Json;
using Commitments.Grains.Common;
using Commitments.Host.Auth;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Commitments.Host.Problems;

internal sealed partial class RuleViolationHandler(IProblemDetailsService problems, ILogger<RuleViolationHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            RuleViolationException rule => FromRule(http, rule),
            UnauthorizedException unauthorized => Validation(StatusCodes.Status401Unauthorized, "Not signed in",
                unauthorized.Message, unauthorized.Field, unauthorized.Message),
            BadHttpRequestException bad => FromBadRequest(bad),
            Azure.RequestFailedException { Status: 0 or >= 500 } => FromRule(http, RuleViolationException.StorageUnavailable()),
            SiloUnavailableException or OrleansMessageRejectionException or TimeoutException => Unavailable(http),
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }

        LogRejected(logger, http.Request.Method, http.Request.Path, problem.Status ?? 400, problem.Title ?? "");
        http.Response.StatusCode = problem.Status ?? StatusCodes.Status400BadRequest;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails FromRule(HttpContext http, RuleViolationException rule)
    {
        var (status, title) = rule.Kind switch
        {
            RuleKind.Invalid => (StatusCodes.Status400BadRequest, "The request has invalid fields"),
            RuleKind.Forbidden => (StatusCodes.Status403Forbidden, "Not allowed"),
            RuleKind.Conflict => (StatusCodes.Status409Conflict, "Not possible in this state"),
            RuleKind.NotFound => (StatusCodes.Status404NotFound, "Not found"),
            RuleKind.TooManyAttempts => (StatusCodes.Status429TooManyRequests, "Too many attempts"),
            RuleKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, "Storage is unavailable"),
            _ => (StatusCodes.Status400BadRequest, "Bad request"),
        };
        if (rule.RetryAfterSeconds is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return new HttpValidationProblemDetails(rule.Errors) { Status = status, Title = title, Detail = rule.Message };
    }

    /// <summary>A host went away mid-request and the retries ran out: try again in a moment.</summary>
    private static ProblemDetails Unavailable(HttpContext http)
    {
        http.Response.Headers.RetryAfter = "2";
        return new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Briefly unavailable",
            Detail =
                "A server of the service went away while this was being done; it may or may not have happened. Look, then try again in a moment.",
        };
    }

    private static ProblemDetails FromBadRequest(BadHttpRequestException bad)
    {
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Ours (BodyLimits) says the limit; Kestrel's, for a chunked body past it, does not.
            var detail = bad.Message.StartsWith("The body is larger", StringComparison.Ordinal)
                ? bad.Message
                : "The body is larger than this call takes.";
            return Validation(bad.StatusCode, "Request body too large", detail, "body", "is too large for this call.");
        }

        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return Validation(bad.StatusCode, "Unsupported content type",
                "Send the body as JSON with Content-Type: application/json.", "body", "must be application/json.");
        }

        var json = bad.InnerException as JsonException;
        if (json is not null)
        {
            var field = JsonPathToField(json.Path);
            return Validation(StatusCodes.Status400BadRequest, "The request body is not valid JSON for this call",
                $"{field} has a value of the wrong type or the JSON is malformed.", field,
                "has a value of the wrong type, or the JSON is malformed here.");
        }

        // Binding failures name the parameter in their message; an empty required body is the common case.
        var message = bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase)
            || bad.Message.Contains("Implicit body", StringComparison.Ordinal)
            ? ("body", "is required: send a JSON object.")
            : ("request", "could not be read.");
        return Validation(bad.StatusCode, "Bad request", $"{message.Item1} {message.Item2}", message.Item1, message.Item2);
    }

    private static string JsonPathToField(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return string.IsNullOrEmpty(field) ? "body" : JsonNamingPolicy.CamelCase.ConvertName(field);
    }

    private static HttpValidationProblemDetails Validation(int status, string title, string detail, string field, string message) =>
        new(new Dictionary<string, string[]> { [field] = [message] }) { Status = status, Title = title, Detail = detail };

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} rejected with {Status}: {Title}")]
    private static partial void LogRejected(ILogger logger, string method, string path, int status, string title);
}
