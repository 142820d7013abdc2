// Copying closures between the local store and a file:// binary cache, as `nix copy --to/--from`.
// Uploads go references first, so a cache never lists a path whose references it lacks. Downloads
// check every narinfo (parse, path, signature) before any NAR is read, then import the missing
// part of the closure as one unit: a bad NAR anywhere registers nothing.
namespace Nixsharp.Remote.BinaryCaches;

using Nixsharp.Formats.BinaryCache;
using Nixsharp.Formats.Compression;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Signing;
using Nixsharp.Store.Database;
using Nixsharp.Store.Local;

public static class BinaryCacheCopy
{
    /// <summary>How many paths a copy moves at once unless told otherwise: one per CPU, since
    /// compressing (writing a cache) and decompressing and hashing (reading one) are CPU-bound.</summary>
    public static int DefaultJobs => Math.Max(1, Environment.ProcessorCount);

    /// <summary>How much compressor state parallel uploads may hold at once. With the rest of the
    /// process (about 20 MiB) a copy at the default levels stays under 64 MiB however large its
    /// closure: one big path's xz encoder takes about 25 MiB, a small path's far less. A level that
    /// needs more than this (xz -6 exactly, 94 MiB) compresses one path at a time.</summary>
    public const long CompressorMemoryLimit = 40L << 20;

    /// <summary>Writes the closure of `paths` that the cache lacks, up to `jobs` paths at once, each
    /// only after the paths it refers to; returns the paths written, in the order they were done.</summary>
    public static IReadOnlyList<string> CopyTo(LocalStore store, FileBinaryCache cache, IEnumerable<string> paths,
        string compression, SecretKey? key, ICopyProgress progress, int jobs = 1, int compressionLevel = -1)
    {
        var closure = store.ComputeClosure(paths);
        foreach (var p in closure) store.AddTempRoot(p);
        var sorted = store.TopoSortPaths(closure);
        sorted.Reverse(); // references first
        var missing = sorted.Where(p => !cache.HasPath(p)).Select(store.QueryValidPathInfo).ToList();
        progress.Planned(missing.Count, missing.Sum(i => i.NarSize), sorted.Count - missing.Count);
        var written = new List<string>(missing.Count);
        var budget = new MemoryBudget(CompressorMemoryLimit);
        ReferencesFirst.Run(missing.Select(i => (i.Path, (IEnumerable<string>)i.References)).ToList(), jobs, index =>
        {
            var info = missing[index];
            using var held = budget.Take(CompressionMethods.CompressorMemory(compression, compressionLevel, info.NarSize));
            progress.PathStarted(info.Path, info.NarSize);
            cache.AddPath(new FileBinaryCache.PathToAdd
            {
                StorePath = info.Path, NarHash = Hash.ParseAnyPrefixed(info.NarHash), NarSize = info.NarSize,
                References = info.References, Deriver = info.Deriver, Signatures = info.Signatures,
                ContentAddress = info.ContentAddress,
            }, nar => store.DumpPath(info.Path, new ProgressWriteStream(nar, progress)), compression, key, compressionLevel);
            lock (written) written.Add(info.Path);
            progress.PathDone(info.Path);
        });
        return written;
    }

    /// <summary>Imports the closure of `paths` from the cache into the store (what the store lacks),
    /// fetching up to `jobs` NARs at once. With `checkSignatures`, every path must carry a valid
    /// signature by one of `trusted`, or be content-addressed (its path then proves its contents).
    /// Returns the paths added.</summary>
    public static IReadOnlyList<string> CopyFrom(IBinaryCacheReader cache, LocalStore store, IEnumerable<string> paths,
        TrustedKeys trusted, bool checkSignatures, ICopyProgress progress, int jobs = 1)
    {
        // The narinfos of the missing part of the closure; valid paths end the walk (their
        // closure is valid already).
        var infos = new Dictionary<string, NarInfo>(StringComparer.Ordinal);
        var present = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>();
        foreach (var p in paths) todo.Push(p);
        while (todo.Count > 0)
        {
            var path = todo.Pop();
            if (infos.ContainsKey(path) || present.Contains(path)) continue;
            store.AddTempRoot(path);
            if (store.IsValidPath(path)) { present.Add(path); continue; }
            var info = cache.QueryNarInfo(path)
                ?? throw new BinaryCacheException($"path '{path}' is not in binary cache '{cache.Display}' (it has no {NarInfo.HashPartOf(path)}.narinfo)");
            CheckTrusted(info, store, trusted, checkSignatures);
            infos[path] = info;
            foreach (var r in info.References) if (r != path) todo.Push(r);
        }
        progress.Planned(infos.Count, infos.Values.Sum(i => i.NarSize), present.Count);
        if (infos.Count == 0) return [];
        var order = ReferencesFirstOrder(infos);
        return store.AddFromNars(order.Select(p => ToValidPathInfo(infos[p])).ToList(), (info, restore) =>
        {
            progress.PathStarted(info.Path, info.NarSize);
            cache.ReadNar(infos[info.Path], nar => restore(new ProgressReadStream(nar, progress)));
            progress.PathDone(info.Path);
        }, parallelism: jobs);
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
    private static List<string> ReferencesFirstOrder(Dictionary<string, NarInfo> infos)
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
