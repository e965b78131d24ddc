using Commitments.Grains.Texts;
using Commitments.Host.Development;
using Commitments.Host.Texts;
using Commitments.Twilio;

namespace Commitments.Host.Hosting;

/// <summary>
/// The Twilio client (section "Twilio"), the outbox dispatcher and the webhooks; Development without an account uses
/// <see cref="DevelopmentTwilio"/>, elsewhere texts wait in the outbox until Twilio is configured.
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
