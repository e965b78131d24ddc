
namespace Commitments.Host.Texts;

internal sealed partial class TextingDisabledNotice(ILogger<TextingDisabledNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogDisabled(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "No Twilio section is configured: texts are recorded in each promise's outbox and will be sent once Twilio is configured")]
    private static partial void LogDisabled(ILogger logger);
}
