// allowedReferences, allowedRequisites, disallowedReferences and disallowedRequisites (and, with
// structured attributes, outputChecks per output, with maxSize and maxClosureSize), enforced as
// Nix 2.8 enforces them, with its messages. Specifiers are store paths or output names.
namespace Nixsharp.Builder.Outputs;

using System.Text.Json;
using Nixsharp.Builder.Building;
using Nixsharp.Store.Database;
using Nixsharp.Store.Local;

internal static class OutputChecks
{
    private sealed class Checks
    {
        public bool IgnoreSelfRefs;
        public ulong? MaxSize, MaxClosureSize;
        public List<string>? AllowedReferences, AllowedRequisites, DisallowedReferences, DisallowedRequisites;
    }

    public static void Check(LocalStore store, string drvPath, DerivationOptions options, IReadOnlyDictionary<string, ValidPathInfo> outputs)
    {
        var byPath = outputs.Values.ToDictionary(i => i.Path, StringComparer.Ordinal);
        foreach (var (name, info) in outputs)
        {
            if (options.StructuredAttrs is { } json)
            {
                if (!json.TryGetProperty("outputChecks", out var all) || all.ValueKind != JsonValueKind.Object) continue;
                if (!all.TryGetProperty(name, out var output) || output.ValueKind != JsonValueKind.Object) continue;
                var checks = new Checks();
                if (output.TryGetProperty("maxSize", out var ms) && ms.TryGetUInt64(out var maxSize)) checks.MaxSize = maxSize;
                if (output.TryGetProperty("maxClosureSize", out var mcs) && mcs.TryGetUInt64(out var maxClosure)) checks.MaxClosureSize = maxClosure;
                checks.AllowedReferences = Strings(output, "allowedReferences", drvPath);
                checks.AllowedRequisites = Strings(output, "allowedRequisites", drvPath);
                checks.DisallowedReferences = Strings(output, "disallowedReferences", drvPath);
                checks.DisallowedRequisites = Strings(output, "disallowedRequisites", drvPath);
                Apply(store, checks, info, outputs, byPath);
            }
            else
            {
                var checks = new Checks
                {
                    IgnoreSelfRefs = true,
                    AllowedReferences = options.GetStrings("allowedReferences"),
                    AllowedRequisites = options.GetStrings("allowedRequisites"),
                    DisallowedReferences = options.GetStrings("disallowedReferences"),
                    DisallowedRequisites = options.GetStrings("disallowedRequisites"),
                };
                Apply(store, checks, info, outputs, byPath);
            }
        }
    }

    private static List<string>? Strings(JsonElement output, string name, string drvPath)
    {
        if (!output.TryGetProperty(name, out var v)) return null;
        var list = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                throw new BuildException(BuildStatus.OutputRejected, $"attribute '{name}' of derivation '{drvPath}' must be a list of strings");
            list.Add(item.GetString()!);
        }
        return list;
    }

    /// <summary>The closure of an output and its size; outputs of this build are not valid yet, so their info comes from here.</summary>
    private static (HashSet<string> Paths, ulong Size) Closure(LocalStore store, string start, IReadOnlyDictionary<string, ValidPathInfo> byPath)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        ulong size = 0;
        var todo = new Queue<string>();
        todo.Enqueue(start);
        while (todo.Count > 0)
        {
            var p = todo.Dequeue();
            if (!done.Add(p)) continue;
            var info = byPath.TryGetValue(p, out var i) ? i : store.QueryPathInfo(p);
            if (info is null) continue;
            size += (ulong)info.NarSize;
            foreach (var r in info.References) todo.Enqueue(r);
        }
        return (done, size);
    }

    private static void Apply(LocalStore store, Checks checks, ValidPathInfo info, IReadOnlyDictionary<string, ValidPathInfo> outputs,
        IReadOnlyDictionary<string, ValidPathInfo> byPath)
    {
        if (checks.MaxSize is { } max && (ulong)info.NarSize > max)
            throw new BuildException(BuildStatus.OutputRejected, $"path '{info.Path}' is too large at {info.NarSize} bytes; limit is {max} bytes");
        if (checks.MaxClosureSize is { } maxClosure)
        {
            var size = Closure(store, info.Path, byPath).Size;
            if (size > maxClosure)
                throw new BuildException(BuildStatus.OutputRejected, $"closure of path '{info.Path}' is too large at {size} bytes; limit is {maxClosure} bytes");
        }

        void CheckRefs(List<string>? value, bool allowed, bool recursive)
        {
            if (value is null) return;
            var spec = new HashSet<string>(StringComparer.Ordinal);
            foreach (var i in value)
            {
                if (IsStorePath(store, i)) spec.Add(i);
                else if (outputs.TryGetValue(i, out var o)) spec.Add(o.Path);
                else throw new BuildException(BuildStatus.OutputRejected, $"derivation contains an illegal reference specifier '{i}'");
            }
            var used = recursive ? Closure(store, info.Path, byPath).Paths : new HashSet<string>(info.References, StringComparer.Ordinal);
            if (recursive && checks.IgnoreSelfRefs) used.Remove(info.Path);
            var bad = used.Where(p => allowed ? !spec.Contains(p) : spec.Contains(p)).Order(StringComparer.Ordinal).ToList();
            if (bad.Count > 0)
                throw new BuildException(BuildStatus.OutputRejected,
                    $"output '{info.Path}' is not allowed to refer to the following paths:" + string.Concat(bad.Select(b => "\n  " + b)));
        }

        CheckRefs(checks.AllowedReferences, allowed: true, recursive: false);
        CheckRefs(checks.AllowedRequisites, allowed: true, recursive: true);
        CheckRefs(checks.DisallowedReferences, allowed: false, recursive: false);
        CheckRefs(checks.DisallowedRequisites, allowed: false, recursive: true);
    }

    private static bool IsStorePath(LocalStore store, string s)
    {
        try { return store.ParseStorePath(s) == s; }
        catch (StoreException) { return false; }
    }
}
