namespace Commitments.Grains.Common;

/// <summary>
/// Safe to call twice, so a call whose silo died mid-way is retried on the grain's new silo instead of failing the request.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IdempotentAttribute : Attribute;
