using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration.Overrides;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace Commitments.Storage.AzureTables;

/// <summary>Registers <see cref="AzureTableGrainStorage"/> the way Orleans registers its own providers.</summary>
public static class AzureTableGrainStorageExtensions
{
    /// <summary>Adds Azure table grain storage as the default grain storage.</summary>
    public static ISiloBuilder AddAzureTableGrainStorageAsDefault(this ISiloBuilder builder, Action<AzureTableGrainStorageOptions> configure) =>
        builder.AddAzureTableGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configure);

    /// <summary>Adds Azure table grain storage under <paramref name="name"/>.</summary>
    public static ISiloBuilder AddAzureTableGrainStorage(this ISiloBuilder builder, string name, Action<AzureTableGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddAzureTableGrainStorage(name, options => options.Configure(configure));
        return builder;
    }

    /// <summary>Adds Azure table grain storage as the default, configured through an options builder (e.g. <c>BindConfiguration</c>).</summary>
    public static ISiloBuilder AddAzureTableGrainStorageAsDefault(
        this ISiloBuilder builder, Action<OptionsBuilder<AzureTableGrainStorageOptions>>? configureOptions = null) =>
        builder.AddAzureTableGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configureOptions);

    /// <summary>Adds Azure table grain storage under <paramref name="name"/>, configured through an options builder.</summary>
    public static ISiloBuilder AddAzureTableGrainStorage(
        this ISiloBuilder builder, string name, Action<OptionsBuilder<AzureTableGrainStorageOptions>>? configureOptions = null)
    {
        builder.Services.AddAzureTableGrainStorage(name, configureOptions);
        return builder;
    }

    /// <summary>
    /// Adds the provider under <paramref name="name"/> as keyed <see cref="IGrainStorage"/>, <see cref="AzureTableGrainStorage"/>
    /// and <see cref="IGrainStateQuery"/> (unkeyed too for the default name), with an options validator.
    /// </summary>
    public static IServiceCollection AddAzureTableGrainStorage(
        this IServiceCollection services, string name, Action<OptionsBuilder<AzureTableGrainStorageOptions>>? configureOptions = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        configureOptions?.Invoke(services.AddOptions<AzureTableGrainStorageOptions>(name));
        services.TryAddEnumerable(ServiceDescriptor.Transient<
            IPostConfigureOptions<AzureTableGrainStorageOptions>,
            DefaultStorageProviderSerializerOptionsConfigurator<AzureTableGrainStorageOptions>>());
        services.AddTransient<IConfigurationValidator>(sp =>
            new AzureTableGrainStorageOptionsValidator(sp.GetRequiredService<IOptionsMonitor<AzureTableGrainStorageOptions>>().Get(name), name));

        services.AddKeyedSingleton(name, static (sp, key) =>
        {
            var providerName = (string)key!;
            var options = sp.GetRequiredService<IOptionsMonitor<AzureTableGrainStorageOptions>>().Get(providerName);
            return ActivatorUtilities.CreateInstance<AzureTableGrainStorage>(sp, providerName, options, sp.GetProviderClusterOptions(providerName));
        });
        services.AddKeyedSingleton<IGrainStateQuery>(name, static (sp, key) => sp.GetRequiredKeyedService<AzureTableGrainStorage>(key));
        services.AddGrainStorage(name, static (sp, providerName) => sp.GetRequiredKeyedService<AzureTableGrainStorage>(providerName));

        if (name == ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME)
        {
            services.TryAddSingleton<IGrainStateQuery>(
                sp => sp.GetRequiredKeyedService<AzureTableGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME));
        }

        return services;
    }
}
