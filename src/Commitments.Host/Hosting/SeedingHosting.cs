using Commitments.Host.Sites;

namespace Commitments.Host.Hosting;

internal static class SeedingHosting
{
    public static IHostApplicationBuilder AddCommitmentsSeeding(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BootstrapOptions>().BindConfiguration("Bootstrap");
        builder.Services.AddHostedService<SeedOnStart>();
        return builder;
    }
}
