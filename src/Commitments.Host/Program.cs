using Commitments.Host.Auth;
using Commitments.Host.Commitments;
using Commitments.Host.Development;
using Commitments.Host.Escalation;
using Commitments.Host.Hosting;
using Commitments.Host.Insights;
using Commitments.Host.Problems;
using Commitments.Host.Sites;
using Commitments.Host.Storage;
using Commitments.Host.Texts;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

// Storage first: in Development it starts Azurite before the silo needs it.
builder.AddCommitmentsStorage();
// One key ring for cookies and circuits, shared by the cluster, kept in storage.
builder.AddCommitmentsDataProtection();
// Phone numbers are keyed with the deployment's secret before any grain names one.
builder.AddCommitmentsPrivacy();
// The co-hosted Orleans silo: grains and their stored state are the truth.
builder.AddCommitmentsSilo();
// Demo data in Development; the configured first site and manager elsewhere.
builder.AddCommitmentsSeeding();
// Texts: outbox dispatcher, Twilio client, webhooks (a local Twilio in Development).
builder.AddCommitmentsTexting();
// Escalation: Hangfire jobs wake promises at each step; a reconcile pass covers crashes.
builder.AddCommitmentsEscalation();
// Edges: JSON, ProblemDetails, body limits, proxies, cookie auth, rate limits, health, OpenAPI.
builder.AddCommitmentsJson();
builder.AddCommitmentsProblems();
builder.AddCommitmentsBodyLimits();
builder.AddCommitmentsForwardedHeaders();
builder.AddCommitmentsAuth();
builder.AddCommitmentsRateLimits();
builder.AddCommitmentsHealth();
builder.Services.AddOpenApi();
// The Blazor Server web app, calling the same grains as the API.
builder.AddCommitmentsWeb();

var app = builder.Build();

// The client's address and scheme from trusted proxies, before anything uses them.
app.UseForwardedHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
// Before anything reads a body, anonymous sign-in and webhooks included.
app.UseBodyLimits();
// API requests get 503 at once while storage is down; otherwise grain calls have a deadline.
app.UseStorageGate();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();
app.UseJsonOnlyForApi();

app.MapOpenApi();
if (app.Environment.IsDevelopment())
{
    app.MapScalarApiReference();
}

// Health: live while the process answers; ready once the silo is active and storage answers.
app.MapCommitmentsHealth();

// The API: signed-in staff only, JSON bodies only, rate limited per client.
var api = app.MapGroup("/api")
    .RequireAuthorization()
    .RequireRateLimiting(RateLimitHosting.Policy);
api.MapAuthApi();

// Everything of a site: only for that site's own staff.
var site = api.MapGroup("/sites/{site}").AddEndpointFilter<SameSiteFilter>();
site.MapSitesApi();
site.MapCommitmentsApi();
site.MapPolicyApi();
site.MapEscalationsApi();
site.MapInsightsApi();

// Hangfire's dashboard: the platform's operators only (it shows every site).
app.MapHangfireForOperators();

// The web app people touch.
app.MapCommitmentsWeb();

// Twilio's calls to us, authorized by their signature.
if (app.Services.GetService<TextDispatcher>() is not null)
{
    app.MapTwilioWebhooks();
}

if (app.Environment.IsDevelopment() && app.Services.GetService<DevelopmentTwilio.Settings>() is not null)
{
    app.MapDevTexts();
}

app.Run();

/// <summary>The host's entry point; public so functional tests can start the real app.</summary>
public partial class Program;
