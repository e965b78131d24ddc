using Commitments.Grains.Texts;
using Commitments.Host.Development;
using Commitments.Host.Texts;
using Commitments.Twilio;

namespace Commitments.Host.Hosting;

/// <summary>
/// Texts: the Twilio client (section "Twilio", validated at start-up), the dispatcher that drains
/// the outbox, and the webhooks. In Development with no Twilio account configured, the local
/// Twilio is started and used instead (see <see cref="DevelopmentTwilio"/>). Elsewhere, without
/// a "Twilio" section, texts wait in the outbox until one is configured.
/// </summary>
internal static partial class TextingHosting
{
    public static IHostApplicationBuilder AddCommitmentsTexting(this IHostApplicationBuilder builder)
    {
        var twilio = builder.Configuration.GetSection("Twilio");
        var useLocal = builder.Environment.IsDevelopment() && string.IsNullOrEmpty(twilio["AccountSid"]);
        if (useLocal)
        {
            DevelopmentTwilio.Configure(builder);
        }
        else if (!twilio.Exists())
        {
            builder.Services.AddHostedService<TextingDisabledNotice>();
            return builder;
        }

        builder.Services.AddTwilioMessaging();
        builder.Services.AddOptions<TextingOptions>().BindConfiguration("Texting");
        builder.Services.AddSingleton<TextDispatcher>();
        builder.Services.AddSingleton<ITextSignal>(sp => sp.GetRequiredService<TextDispatcher>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TextDispatcher>());
        builder.Services.AddSingleton<TwilioSignatureFilter>();
        return builder;
    }
}
