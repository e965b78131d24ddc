using Commitments.Grains.Customers;
using Commitments.Host.Auth;
using Commitments.Host.Storage;
using Commitments.Host.Web;
using MudBlazor.Services;

namespace Commitments.Host.Hosting;

/// <summary>The web app people touch: Blazor, interactive on the server, in the same host as the grains.</summary>
internal static class WebHosting
{
    public static WebApplicationBuilder AddCommitmentsWeb(this WebApplicationBuilder builder)
    {
        // A build run in place finds its assets through the build manifest, which only Development reads by default.
        if (!builder.Environment.IsDevelopment() && builder.Configuration.GetValue<bool>("Web:ServeBuildAssets"))
        {
            builder.WebHost.UseStaticWebAssets();
        }

        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, SignInRevalidation>();
        builder.Services.AddMudServices();
        builder.Services.AddSingleton<DeviceSite>();
        // The customer's status page: linked, signed, from the customer's first text.
        builder.Services.AddOptions<StatusLinkOptions>()
            .BindConfiguration(StatusLinkOptions.Section)
            .PostConfigure<IConfiguration>((o, config) => o.BaseUrl ??= config["Twilio:PublicBaseUrl"]);
        builder.Services.AddSingleton<StatusLinks>();
        builder.Services.AddScoped<WebSession>();
        // Page actions get the same grain-call deadline as API requests.
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, CallDeadlineCircuitHandler>();
        builder.Services.AddSingleton<Web.Shared.SiteChangeFeed>();
        return builder;
    }

    public static WebApplication MapCommitmentsWeb(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
