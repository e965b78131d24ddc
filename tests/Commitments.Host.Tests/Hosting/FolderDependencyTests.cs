using System.Reflection;
using System.Reflection.Emit;

namespace Commitments.Host.Tests.Hosting;

/// <summary>
/// The host's folders say what they hold (issue 16): no two folders use each other both ways, and
/// every type's namespace is its project and folder. Read from the compiled host: signatures and
/// every type, method and field a method body names.
/// </summary>
public sealed class FolderDependencyTests
{
    private const string Root = "Commitments.Host";

    private static readonly Assembly Host = typeof(Development.DemoSite).Assembly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void NoTwoFoldersOfTheHostUseEachOtherBothWays()
    {
        var uses = new HashSet<(string From, string To)>();
        foreach (var type in Host.GetTypes())
        {
            if (Folder(type) is not { } from)
            {
                continue;
            }

            foreach (var used in Used(type).Select(Folder).OfType<string>().Where(to => to != from))
            {
                uses.Add((from, used));
            }
        }

        var cycles = uses.Where(u => string.CompareOrdinal(u.From, u.To) < 0 && uses.Contains((u.To, u.From)))
            .Select(u => $"{u.From} <-> {u.To}")
            .Order()
            .ToList();
        cycles.ShouldBeEmpty(string.Join("\n", cycles));
    }

    [Fact]
    public void EveryNamespaceIsItsProjectAndFolder()
    {
        var root = RepositoryRoot();
        var wrong = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            var parts = relative.Split('/');
            if (parts.Contains("obj") || parts.Contains("bin"))
            {
                continue;
            }

            var declared = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("namespace ", StringComparison.Ordinal))?[10..].TrimEnd(';', ' ');
            var expected = string.Join('.', parts[1..^1]);
            if (declared is not null && declared != expected)
            {
                wrong.Add($"{relative}: {declared} (expected {expected})");
            }
        }

        wrong.ShouldBeEmpty(string.Join("\n", wrong));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Commitments.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("the repository above the test's folder");
    }

    /// <summary>The folder a host type lives in (its namespace below the project's, first part), or null outside the host's folders.</summary>
    private static string? Folder(Type? type)
    {
        while (type?.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        var ns = type?.Namespace;
        if (type?.Assembly != Host || ns is null || !ns.StartsWith(Root + ".", StringComparison.Ordinal))
        {
            return null;
        }

        return ns[(Root.Length + 1)..].Split('.')[0];
    }

    private static IEnumerable<Type> Used(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new List<Type?> { type.BaseType };
        found.AddRange(type.GetInterfaces());
        found.AddRange(type.GetFields(all).Select(f => f.FieldType));
        found.AddRange(type.GetProperties(all).Select(p => p.PropertyType));
        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            found.AddRange(method.GetParameters().Select(p => p.ParameterType));
            if (method is MethodInfo info)
            {
                found.Add(info.ReturnType);
            }

            found.AddRange(BodyReferences(method));
        }

        return found.OfType<Type>().SelectMany(Unwrap);
    }

    private static IEnumerable<Type> Unwrap(Type type)
    {
        if (type.HasElementType)
        {
            return Unwrap(type.GetElementType()!);
        }

        return type.IsGenericType && !type.IsGenericTypeDefinition
            ? [type.GetGenericTypeDefinition(), .. type.GetGenericArguments().SelectMany(Unwrap)]
            : [type];
    }

    /// <summary>The types a method body names: through its type, method and field tokens.</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception ex) when (ex is BadImageFormatException or InvalidOperationException)
        {
            yield break;
        }

        if (il is null)
        {
            yield break;
        }

        var types = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methods = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            var value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok:
                    var token = BitConverter.ToInt32(il, i);
                    MemberInfo? member = null;
                    try
                    {
                        member = method.Module.ResolveMember(token, types, methods);
                    }
                    catch (ArgumentException)
                    {
                    }

                    switch (member)
                    {
                        case Type t:
                            yield return t;
                            break;
                        case MethodBase m:
                            yield return m.DeclaringType!;
                            foreach (var p in m.GetParameters())
                            {
                                yield return p.ParameterType;
                            }

                            break;
                        case FieldInfo f:
                            yield return f.DeclaringType!;
                            yield return f.FieldType;
                            break;
                    }

                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                default:
                    i += op.OperandType switch
                    {
                        OperandType.InlineNone => 0,
                        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                        OperandType.InlineVar => 2,
                        OperandType.InlineI8 or OperandType.InlineR => 8,
                        _ => 4,
                    };
                    break;
            }
        }
    }
}
