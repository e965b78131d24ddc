using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Commitments.Testing;

/// <summary>
/// A self-signed certificate in a PFX file, made once per test run: what a host outside Development
/// needs to encrypt its data-protection keys at rest (DataProtection:CertificatePath).
/// </summary>
public static class TestCertificate
{
    public const string Password = "test-only";

    private static readonly Lazy<string> File = new(Create);

    /// <summary>The PFX file's path.</summary>
    public static string Path => File.Value;

    private static string Create()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Commitments test data protection", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"commitments-test-{Environment.ProcessId}.pfx");
        System.IO.File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, Password));
        return path;
    }
}
