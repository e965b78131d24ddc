namespace Commitments.Storage.AzureTables.Tests;

[GenerateSerializer, Alias("storage-tests.note")]
public sealed record Note
{
    [Id(0)] public string? Text { get; init; }
    [Id(1)] public int Number { get; init; }
}

[GenerateSerializer, Alias("storage-tests.blob")]
public sealed class Blob
{
    [Id(0)] public byte[] Bytes { get; set; } = [];
}
