using Commitments.Testing;

namespace Commitments.Storage.AzureTables.Tests;

/// <summary>
/// Every test that talks to Azurite shares one emulator and runs in this one collection, one test at a
/// time, because one of them restarts the emulator. Each test still gets its own table.
/// </summary>
[CollectionDefinition(nameof(AzuriteCollection))]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>;
