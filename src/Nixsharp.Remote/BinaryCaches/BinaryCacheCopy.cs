// Copying closures between the local store and a file:// binary cache, as `nix copy --to/--from`.
// Uploads go references first, so a cache never lists a path whose references it lacks. Downloads
// check every narinfo (parse, path, signature) before any NAR is read, then import the missing
// part of the closure as one unit: a bad NAR anywhere registers nothing.
namespace Nixsharp.Remote.BinaryCaches;

using Nixsharp.Formats.BinaryCache;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Signing;
using Nixsharp.Store.Database;
using Nixsharp.Store.Local;

public static class BinaryCacheCopy
{
    /// <summary>Writes the closure of `paths` that the cache lacks; returns the paths written, in
    /// the order written. `log` gets Nix's progress lines.</summary>
    public static IReadOnlyList<string> CopyTo(LocalStore store, FileBinaryCache cache, IEnumerable<string> paths,
        string compression, SecretKey? key, Action<string> log)
    {
        var closure = store.ComputeClosure(paths);
        foreach (var p in closure) store.AddTempRoot(p);
        var sorted = store.TopoSortPaths(closure);
        sorted.Reverse(); // references first
        var missing = sorted.Where(p => !cache.HasPath(p)).ToList();
        if (missing.Count > 0) log($"copying {missing.Count} paths...");
        foreach (var path in missing)
        {
            log($"copying path '{path}' to '{cache.Display}'...");
            var info = store.QueryValidPathInfo(path);
            cache.AddPath(new FileBinaryCache.PathToAdd
            {
                StorePath = path, NarHash = Hash.ParseAnyPrefixed(info.NarHash), NarSize = info.NarSize,
                References = info.References, Deriver = info.Deriver, Signatures = info.Signatures,
                ContentAddress = info.ContentAddress,
            }, nar => store.DumpPath(path, nar), compression, key);
        }
        return missing;
    }

    /// <summary>Imports the closure of `paths` from the cache into the store (what the store lacks).
    /// With `checkSignatures`, every path must carry a valid signature by one of `trusted`, or be
    /// content-addressed (its path then proves its contents). Returns the paths added.</summary>
    public static IReadOnlyList<string> CopyFrom(IBinaryCacheReader cache, LocalStore store, IEnumerable<string> paths,
        TrustedKeys trusted, bool checkSignatures, Action<string> log)
    {
        // The narinfos of the missing part of the closure; valid paths end the walk (their
        // closure is valid already).
        var infos = new Dictionary<string, NarInfo>(StringComparer.Ordinal);
        var todo = new Stack<string>();
        foreach (var p in paths) todo.Push(p);
        while (todo.Count > 0)
        {
            var path = todo.Pop();
            if (infos.ContainsKey(path)) continue;
            store.AddTempRoot(path);
            if (store.IsValidPath(path)) continue;
            var info = cache.QueryNarInfo(path)
                ?? throw new BinaryCacheException($"path '{path}' is not in binary cache '{cache.Display}' (it has no {NarInfo.HashPartOf(path)}.narinfo)");
            CheckTrusted(info, store, trusted, checkSignatures);
            infos[path] = info;
            foreach (var r in info.References) if (r != path) todo.Push(r);
        }
        if (infos.Count == 0) return [];
        var order = ReferencesFirst(infos);
        log($"copying {order.Count} paths...");
        var added = store.AddFromNars(order.Select(p => ToValidPathInfo(infos[p])).ToList(), (info, restore) =>
        {
            log($"copying path '{info.Path}' from '{cache.Display}'...");
            cache.ReadNar(infos[info.Path], restore);
        });
        return added;
    }

    private static void CheckTrusted(NarInfo info, LocalStore store, TrustedKeys trusted, bool checkSignatures)
    {
        if (!checkSignatures) return;
        if (trusted.AnyValid(info.Fingerprint, info.Signatures)) return;
        if (info.ContentAddress is { } ca && store.ContentAddressGives(ca, info.StorePath, info.References)) return;
        throw new BinaryCacheException($"cannot add path '{info.StorePath}' because it lacks a valid signature");
    }

    /// <summary>Paths ordered so that each comes after the paths it refers to; a cycle is an error
    /// (a narinfo cannot make one honestly: references are fixed when a path is made).</summary>
    private static List<string> ReferencesFirst(Dictionary<string, NarInfo> infos)
    {
        var order = new List<string>(infos.Count);
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the stack, true: done
        foreach (var root in infos.Keys.Order(StringComparer.Ordinal))
        {
            if (state.ContainsKey(root)) continue;
            var stack = new Stack<(string Path, IEnumerator<string> Refs)>();
            state[root] = false;
            stack.Push((root, RefsInBatch(root).GetEnumerator()));
            while (stack.Count > 0)
            {
                var (path, refs) = stack.Peek();
                if (refs.MoveNext())
                {
                    var r = refs.Current;
                    if (state.TryGetValue(r, out bool done))
                    {
                        if (!done) throw new BinaryCacheException($"the references of '{path}' in the binary cache form a cycle through '{r}'");
                        continue;
                    }
                    state[r] = false;
                    stack.Push((r, RefsInBatch(r).GetEnumerator()));
                }
                else
                {
                    stack.Pop();
                    state[path] = true;
                    order.Add(path);
                }
            }
        }
        return order;

        IEnumerable<string> RefsInBatch(string p) => infos[p].References.Where(r => r != p && infos.ContainsKey(r));
    }

    /// <summary>What the store records for a path that came from a cache.</summary>
    public static ValidPathInfo ToValidPathInfo(NarInfo info) => new()
    {
        Path = info.StorePath,
        NarHash = ValidPathInfo.FormatNarHash(info.NarHash.Bytes),
        NarSize = info.NarSize,
        References = ValidPathInfo.PathSet(info.References),
        Deriver = info.Deriver,
        Signatures = ValidPathInfo.PathSet(info.Signatures),
        ContentAddress = info.ContentAddress,
    };
}
