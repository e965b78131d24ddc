using System.Security.Cryptography.X509Certificates;
using Azure.Data.Tables;
using Commitments.Host.Auth;
using Commitments.Host.Cluster;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace Commitments.Host.Hosting;

/// <summary>Where the keys behind cookies and circuits live (section "DataProtection").</summary>
public sealed class DataProtectionSettings
{
    /// <summary>The table that holds the key ring, in the storage account (default "DataProtectionKeys").</summary>
    public string TableName { get; set; } = "DataProtectionKeys";

    /// <summary>A PFX file whose certificate encrypts the keys at rest; required outside Development.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PFX file's password, if it has one.</summary>
    public string? CertificatePassword { get; set; }
}

/// <summary>
/// One key ring in storage for the whole cluster, so every host reads every cookie and sign-ins survive restarts.
/// Outside Development the keys must be encrypted with a certificate, or the host refuses to start.
/// </summary>
internal static class DataProtectionHosting
{
    /// <summary>Shared by every host: the default discriminator is the content root, which differs between machines.</summary>
    public const string ApplicationName = "Commitments";

    public static IHostApplicationBuilder AddCommitmentsDataProtection(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection("DataProtection").Get<DataProtectionSettings>() ?? new DataProtectionSettings();
        var protection = builder.Services.AddDataProtection().SetApplicationName(ApplicationName);
        if (!string.IsNullOrWhiteSpace(settings.CertificatePath))
        {
            protection.ProtectKeysWithCertificate(LoadCertificate(settings));
        }
        else if (!builder.Environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                "DataProtection:CertificatePath is not set. Outside Development the keys that sign cookies are stored " +
                "in the storage account encrypted with a certificate: give a PFX file (and DataProtection:CertificatePassword).");
        }

        // One ring per service, so staging and production in one storage account never read each other's cookies.
        var service = builder.Configuration["Orleans:ServiceId"] is { Length: > 0 } id ? id : new SiloOptions().ServiceId;
        builder.Services.AddOptions<KeyManagementOptions>().Configure<TableServiceClient>((o, tables) =>
            o.XmlRepository = new TableXmlRepository(tables.GetTableClient(settings.TableName), service));
        builder.Services.AddHostedService<KeyRingAtStartup>();
        return builder;
    }

    private static X509Certificate2 LoadCertificate(DataProtectionSettings settings)
    {
        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(settings.CertificatePath!, settings.CertificatePassword);
            return certificate.HasPrivateKey
                ? certificate
                : throw new InvalidOperationException(
                    $"DataProtection:CertificatePath '{settings.CertificatePath}' has no private key; the keys could not be read back.");
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new InvalidOperationException(
                $"DataProtection:CertificatePath '{settings.CertificatePath}' could not be read as a PFX with the given password: {ex.Message}",
                ex);
        }
    }
}
