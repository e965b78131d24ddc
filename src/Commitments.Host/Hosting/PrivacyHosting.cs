using Commitments.Grains.Common;
using Commitments.Host.Privacy;

namespace Commitments.Host.Hosting;

/// <summary>
/// The secret phone numbers are keyed with (<c>Privacy:PhoneKey</c>, 32+ bytes base64), the same on every host; required
/// outside Development, where a fixed key is used.
/// </summary>
internal static class PrivacyHosting
{
    public static IHostApplicationBuilder AddCommitmentsPrivacy(this IHostApplicationBuilder builder)
    {
        var configured = builder.Configuration["Privacy:PhoneKey"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(configured);
            }
            catch (FormatException)
            {
                throw new InvalidOperationException("Privacy:PhoneKey must be base64 (for example the output of `openssl rand -base64 32`).");
            }

            if (key.Length < 32)
            {
                throw new InvalidOperationException("Privacy:PhoneKey must be at least 32 bytes (base64).");
            }

            PhoneKeys.Use(key);
        }
        else if (!builder.Environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                "Privacy:PhoneKey is not set. Outside Development phone numbers are keyed with a secret of the deployment: " +
                "give 32 random bytes in base64 (`openssl rand -base64 32`), the same on every host.");
        }
        else
        {
            // Always set: the key is process-wide and another host in this process may have set its own.
            PhoneKeys.Use(PhoneKeys.DevelopmentKey);
        }

        builder.Services.AddSingleton<PhoneKeyMove>();
        builder.Services.AddHostedService<PhoneKeyMoveAtStartup>();
        return builder;
    }
}
