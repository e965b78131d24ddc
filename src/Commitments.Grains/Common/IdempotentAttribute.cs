namespace Commitments.Grains.Common;

/// <summary>
/// Calling this twice has the effect of calling it once (a read, or a write that states a fact).
/// A call whose silo went away mid-way (it may or may not have run) is made again, on the silo that
/// holds the grain now, instead of failing the person's request.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IdempotentAttribute : Attribute;
