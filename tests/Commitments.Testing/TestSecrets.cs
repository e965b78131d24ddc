namespace Commitments.Testing;

/// <summary>Secrets a host outside Development must be given, fixed for tests and benchmarks (never for a deployment).</summary>
public static class TestSecrets
{
    /// <summary>Privacy:PhoneKey: 32 bytes, base64.</summary>
    public const string PhoneKey = "k//AbI3FiToWz/ym9BmtDXBc/oPRFFygzw4Yf1qrPuY=";
}
