using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commitments.Twilio;

public static class TwilioServiceCollectionExtensions
{
    /// <summary>The Twilio client, options validated at start-up; it follows no redirects.</summary>
    public static IServiceCollection AddTwilioMessaging(this IServiceCollection services, string section = "Twilio")
    {
        services.AddOptions<TwilioOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TwilioOptions>, TwilioOptionsValidator>();
        services.AddHttpClient<TwilioMessagingClient>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }
}

internal sealed class TwilioOptionsValidator : IValidateOptions<TwilioOptions>
{
    public ValidateOptionsResult Validate(string? name, TwilioOptions options)
    {
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
