using System.Xml.Linq;
using Azure;
using Azure.Data.Tables;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Auth;

/// <summary>The key ring as rows of one table (a partition per service): one row per key element, its XML as a string.</summary>
internal sealed class TableXmlRepository(TableClient table, string service) : IXmlRepository
{
    private const string XmlColumn = "Xml";
    private readonly string _partition = "keys-" + TableKeyOf(service);
    private readonly string _claims = "first-key-" + TableKeyOf(service);
    private bool _created;

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        EnsureTable();
        return [.. table.Query<TableEntity>(e => e.PartitionKey == _partition)
            .Select(e => XElement.Parse(e.GetString(XmlColumn)))];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        EnsureTable();
        // Elements are never changed once written (revocations are new elements), so a name is written once.
        table.UpsertEntity(
            new TableEntity(_partition, TableKeyOf(friendlyName)) { [XmlColumn] = element.ToString(SaveOptions.DisableFormatting) },
            TableUpdateMode.Replace);
    }

    /// <summary>Claims the right to create the ring's first key: true for one caller per hour, so an expired ring can restart.</summary>
    public bool TryClaimFirstKey(string claimant, DateTimeOffset now)
    {
        EnsureTable();
        try
        {
            table.AddEntity(
                new TableEntity(_claims, now.UtcDateTime.ToString("yyyyMMddHH", System.Globalization.CultureInfo.InvariantCulture))
                {
                    ["By"] = claimant
                });
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == StatusCodes.Status409Conflict)
        {
            return false;
        }
    }

    private void EnsureTable()
    {
        if (!Volatile.Read(ref _created))
        {
            table.CreateIfNotExists();
            Volatile.Write(ref _created, true);
        }
    }

    // Table keys refuse / \ # ? and control characters.
    private static string TableKeyOf(string text) =>
        string.IsNullOrEmpty(text)
            ? Guid.NewGuid().ToString("N")
            : new string([.. text.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_')]);
}

/// <summary>
/// One host makes a new cluster's first key and the others wait for it before serving, or a cookie one host made
/// could be unknown to another that read the ring earlier.
/// </summary>
internal sealed partial class KeyRingAtStartup(
    IOptions<KeyManagementOptions> options, IKeyManager keys, TimeProvider time, ILogger<KeyRingAtStartup> logger) : IHostedService
{
    // Registered before the silo and the web server: both start after the ring has its key.
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.XmlRepository is not TableXmlRepository repository)
        {
            return;
        }

        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (!await Task.Run(
            () => keys.GetAllKeys().Any(k => !k.IsRevoked && k.ExpirationDate > time.GetUtcNow()), cancellationToken))
        {
            if (await Task.Run(
                () => repository.TryClaimFirstKey($"{Environment.MachineName}/{Environment.ProcessId}", time.GetUtcNow()),
                cancellationToken))
            {
                var now = time.GetUtcNow();
                keys.CreateNewKey(now, now + options.Value.NewKeyLifetime);
                LogCreatedFirstKey(logger);
                return;
            }

            if (time.GetUtcNow() > deadline)
            {
                // The claimant died before writing its key: make one anyway (the ring copes with two).
                var now = time.GetUtcNow();
                keys.CreateNewKey(now, now + options.Value.NewKeyLifetime);
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the cluster's first data-protection key")]
    private static partial void LogCreatedFirstKey(ILogger logger);
}
