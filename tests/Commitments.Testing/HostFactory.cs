using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commitments.Testing;

/// <summary>
/// The real host in this process, configured only through its settings: the one factory the tests
/// and the bench start it with (a host as a process of its own is <see cref="HostProcess"/>).
/// </summary>
/// <typeparam name="TProgram">The host's entry point (its <c>Program</c>).</typeparam>
/// <param name="environment">"Development" for the demo site and /dev pages, "Production" for the bench.</param>
/// <param name="settings">Configuration, as the host reads it (for example "ConnectionStrings:Storage").</param>
/// <param name="pinHashIterations">PINs are hashed slowly on purpose; tests and benchmarks only need a real hash.</param>
public class HostFactory<TProgram>(string environment, IReadOnlyDictionary<string, string?> settings, int pinHashIterations = 1000)
    : WebApplicationFactory<TProgram>
    where TProgram : class
{
    /// <summary>Serves on a loopback Kestrel port, for callers outside this process (the local Twilio, a browser, a load generator).</summary>
    public void Listen(int port)
    {
        UseKestrel(port);
        StartServer();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IPasswordHasher<string>>(new PasswordHasher<string>(
                Options.Create(new PasswordHasherOptions { IterationCount = pinHashIterations })));
            ConfigureServices(services);
        });
    }

    /// <summary>Services a test adds or replaces (a fault injector, say).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }
}
