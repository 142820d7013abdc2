// Graph queries over the references relation, and verification of the store against its database.
namespace Nixsharp.Store.Local;

using Nixsharp.Formats.Hashes;
using Nixsharp.Store.Database;

public sealed partial class LocalStore
{
    /// <summary>Sorts paths so that every path comes before the paths it refers to (Nix's
    /// topoSortPaths, with its visiting order, so listings match nix-store's line for line).</summary>
    public List<string> TopoSortPaths(IEnumerable<string> paths)
    {
        var items = new SortedSet<string>(paths, StringComparer.Ordinal);
        var sorted = new List<string>(items.Count);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var parents = new HashSet<string>(StringComparer.Ordinal);
        // Iterative post-order DFS: deep reference chains must not exhaust the stack.
        var stack = new Stack<(string Path, IEnumerator<string> Children)>();
        foreach (var root in items)
        {
            if (!visited.Add(root)) continue;
            parents.Add(root);
            stack.Push((root, ChildrenOf(root, items)));
            while (stack.Count > 0)
            {
                var (path, children) = stack.Peek();
                if (children.MoveNext())
                {
                    var c = children.Current;
                    if (parents.Contains(c))
                        throw new StoreException($"cycle detected in the references of '{path}' from '{c}'");
                    if (!visited.Add(c)) continue;
                    parents.Add(c);
                    stack.Push((c, ChildrenOf(c, items)));
                }
                else
                {
                    stack.Pop();
                    parents.Remove(path);
                    sorted.Add(path);
                }
            }
        }
        sorted.Reverse();
        return sorted;
    }

    private IEnumerator<string> ChildrenOf(string path, SortedSet<string> items)
    {
        var info = QueryPathInfo(path);
        if (info is null) yield break;
        foreach (var r in info.References)
            if (r != path && items.Contains(r)) yield return r;
    }

    /// <summary>Every valid path that refers to `path`, directly or not, and `path` itself.</summary>
    public HashSet<string> ComputeReferrersClosure(string path)
    {
        var closure = new HashSet<string>(StringComparer.Ordinal) { path };
        var todo = new Stack<string>();
        todo.Push(path);
        while (todo.Count > 0)
            foreach (var r in Db.QueryReferrers(todo.Pop()))
                if (closure.Add(r)) todo.Push(r);
        return closure;
    }

    /// <summary>Repairs one path for Verify: `missing` says it disappeared (rather than changed).
    /// Returns whether it is good now; it says itself why not.</summary>
    public delegate bool PathRepair(string path, bool missing);

    /// <summary>Checks that every valid path exists (dropping rows of vanished paths that nothing
    /// refers to) and, with checkContents, that its NAR hash still matches; with `repair`, what is
    /// wrong is handed to it as nix-store --verify --repair does. Returns true when errors remain.
    /// Messages follow nix-store --verify's (its reports of damage carry no "error: ").</summary>
    public bool Verify(bool checkContents, PathRepair? repair)
    {
        Log("reading the Nix store...");
        bool errors = false;
        var onDisk = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in Directory.EnumerateFileSystemEntries(Layout.RealStoreDir)) onDisk.Add(Path.GetFileName(e));

        Log("checking path existence...");
        var valid = new List<string>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var validSet = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in Db.QueryAllValidPaths()) VerifyPath(p, onDisk, done, validSet, repair, ref errors);
        valid.AddRange(validSet.Order(StringComparer.Ordinal));

        if (checkContents)
        {
            // Nix checks its hard-link directory here; nixsharp does not deduplicate, so it is empty.
            Log("checking link hashes...");
            Log("checking store hashes...");
            foreach (var p in valid)
            {
                var info = QueryPathInfo(p);
                if (info is null) continue;
                var (hash, size) = HashNar(ToRealPath(p));
                var current = ValidPathInfo.FormatNarHash(hash);
                if (current != info.NarHash)
                {
                    Log($"path '{p}' was modified! expected hash '{ValidPathInfo.ShowNarHash(info.NarHash)}', got '{ValidPathInfo.ShowNarHash(current)}'");
                    if (repair is null || !repair(p, missing: false)) errors = true;
                }
                else if (info.NarSize == 0)
                {
                    Log($"updating size field on '{p}' to {size}");
                    Db.RegisterValidPaths(new[] { info with { NarSize = size } });
                }
            }
        }
        return errors;
    }

    private void VerifyPath(string path, HashSet<string> onDisk, HashSet<string> done, HashSet<string> valid, PathRepair? repair, ref bool errors)
    {
        if (!done.Add(path)) return;
        var baseName = path.Substring(path.LastIndexOf('/') + 1);
        if (!path.StartsWith(StoreDir + "/", StringComparison.Ordinal))
        {
            Log($"error: path '{path}' is not in the Nix store");
            return;
        }
        if (onDisk.Contains(baseName))
        {
            valid.Add(path);
            return;
        }
        // Vanished: it may be dropped from the database if its referrers can be dropped too.
        bool canInvalidate = true;
        foreach (var r in Db.QueryReferrers(path))
        {
            if (r == path) continue;
            VerifyPath(r, onDisk, done, valid, repair, ref errors);
            if (valid.Contains(r)) canInvalidate = false;
        }
        if (canInvalidate)
        {
            Log($"path '{path}' disappeared, removing from database...");
            InvalidatePath(path);
        }
        else
        {
            Log($"path '{path}' disappeared, but it still has valid referrers!");
            // As in Nix, a path brought back is not among those whose contents are checked next.
            if (repair is null || !repair(path, missing: true)) errors = true;
        }
    }
}
