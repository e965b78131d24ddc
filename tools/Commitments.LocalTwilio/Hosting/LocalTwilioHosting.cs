using Commitments.LocalTwilio.Control;
using Commitments.LocalTwilio.Delivery;
using Commitments.LocalTwilio.Handsets;
using Commitments.LocalTwilio.Messages;
using Microsoft.Extensions.Options;

namespace Commitments.LocalTwilio.Hosting;

internal static class LocalTwilioHosting
{
    /// <summary>
    /// Registers the fake. Without <paramref name="options"/> they bind from the "LocalTwilio" section
    /// (appsettings, environment, command line) and are checked on start.
    /// </summary>
    public static IHostApplicationBuilder AddLocalTwilio(this IHostApplicationBuilder builder, LocalTwilioOptions? options = null)
    {
        if (options is null)
        {
            builder.Services.AddOptions<LocalTwilioOptions>()
                .BindConfiguration(LocalTwilioOptions.Section)
                .ValidateOnStart();
            builder.Services.AddSingleton<IValidateOptions<LocalTwilioOptions>, LocalTwilioOptionsValidator>();
        }
        else
        {
            builder.Services.AddSingleton(Options.Create(options));
        }
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<MessageStore>();
        builder.Services.AddSingleton<WebhookClient>();
        builder.Services.AddSingleton<Lifecycle>();
        builder.Services.AddProblemDetails();
        // Twilio does not follow redirects and gives up after 15 s.
        builder.Services.AddHttpClient(WebhookClient.ClientName, client => client.Timeout = TimeSpan.FromSeconds(15))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        return builder;
    }

    public static WebApplication MapLocalTwilio(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        // Twilio's wire format, for the client under test.
        app.MapTwilioMessagesApi();

        // The fake's own switches and views, for tests and the dev page.
        var fake = app.MapGroup("/_fake");
        fake.MapControlApi();
        fake.MapHandsetApi();

        app.MapGet("/", (MessageStore store) => TypedResults.Ok(new
        {
            name = "Local Twilio",
            accountSid = store.Options.AccountSid,
            twilioBaseUrl = "/2010-04-01/Accounts/{AccountSid}/Messages.json",
            control = "/_fake/messages, /_fake/conversations, /_fake/handset/send, /_fake/lifecycle, /_fake/callbacks, /_fake/faults, /_fake/numbers, /_fake/optouts, /_fake/reset",
        }));
        return app;
    }
}

/// <summary>Fails start-up with every configuration problem named.</summary>
internal sealed class LocalTwilioOptionsValidator : IValidateOptions<LocalTwilioOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalTwilioOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
