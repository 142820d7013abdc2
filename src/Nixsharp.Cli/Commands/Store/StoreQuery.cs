// `nixsharp store query`: nix-store --query's questions with its output order (topologically
// sorted closures, references before referrers) so that results compare line for line.
namespace Nixsharp.Cli.Commands.Store;

using System.CommandLine;
using System.Text;
using Nixsharp.Cli.Glue;
using Nixsharp.Store.Local;

public static class StoreQuery
{
    private enum Kind { Outputs, Requisites, References, Referrers, ReferrersClosure, Deriver, Hash, Size, Tree, Graph, Roots, Resolve }

    public static Command Create(CliIo io)
    {
        var storeOpt = StoreCommand.StoreOption();
        var kinds = new (Option<bool> Option, Kind Kind)[]
        {
            (new Option<bool>("--outputs") { Description = "Print the output paths of derivations (the default)" }, Kind.Outputs),
            (new Option<bool>("--requisites", "-R") { Description = "Print the closure: everything the paths refer to, directly or not" }, Kind.Requisites),
            (new Option<bool>("--references") { Description = "Print the paths' direct references" }, Kind.References),
            (new Option<bool>("--referrers", "--referers") { Description = "Print the valid paths that refer to the paths" }, Kind.Referrers),
            (new Option<bool>("--referrers-closure", "--referers-closure") { Description = "Print every path that refers to the paths, directly or not" }, Kind.ReferrersClosure),
            (new Option<bool>("--deriver", "-d") { Description = "Print the derivation that produced each path" }, Kind.Deriver),
            (new Option<bool>("--hash") { Description = "Print the SHA-256 hash of each path's NAR" }, Kind.Hash),
            (new Option<bool>("--size") { Description = "Print the size of each path's NAR" }, Kind.Size),
            (new Option<bool>("--tree") { Description = "Print the references as a tree" }, Kind.Tree),
            (new Option<bool>("--graph") { Description = "Print the references graph in Graphviz dot format" }, Kind.Graph),
            (new Option<bool>("--roots") { Description = "Print the GC roots that keep the paths alive" }, Kind.Roots),
            (new Option<bool>("--resolve") { Description = "Print the store path each argument resolves to" }, Kind.Resolve),
        };
        var useOutput = new Option<bool>("--use-output", "-u") { Description = "Query the outputs of derivations instead of the derivations" };
        var includeOutputs = new Option<bool>("--include-outputs") { Description = "With --requisites: include the outputs of derivations in the closure" };
        var paths = StoreCommand.PathsArgument();
        var cmd = new Command("query", "Ask the store about paths (like nix-store --query)") { storeOpt, useOutput, includeOutputs, paths };
        foreach (var (o, _) in kinds) cmd.Options.Add(o);
        cmd.SetAction(pr => StoreCommand.Guard(io, () =>
        {
            var chosen = kinds.Where(k => pr.GetValue(k.Option)).Select(k => k.Kind).Distinct().ToList();
            if (chosen.Count > 1) throw new UsageException("query type conflicts with earlier flag: give one of --outputs, --requisites, --references, ...");
            var kind = chosen.Count == 0 ? Kind.Outputs : chosen[0];
            using var store = StoreOpener.Open(pr.GetValue(storeOpt), io);
            var args = (pr.GetValue(paths) ?? []).Select(p => StoreCommand.FollowLinksToStorePath(store, p, io)).ToList();
            var sb = new StringBuilder();
            bool useOut = pr.GetValue(useOutput);
            switch (kind)
            {
                case Kind.Outputs:
                    foreach (var p in args) foreach (var o in MaybeOutputs(store, p, true)) sb.Append(o).Append('\n');
                    break;
                case Kind.Requisites: case Kind.References: case Kind.Referrers: case Kind.ReferrersClosure:
                {
                    var set = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var a in args)
                        foreach (var p in MaybeOutputs(store, a, useOut))
                        {
                            store.QueryValidPathInfo(p);
                            if (kind == Kind.Requisites) set.UnionWith(store.ComputeClosure(new[] { p }, includeOutputs: pr.GetValue(includeOutputs)));
                            else if (kind == Kind.References) set.UnionWith(store.QueryValidPathInfo(p).References);
                            else if (kind == Kind.Referrers) set.UnionWith(store.Db.QueryReferrers(p));
                            else set.UnionWith(store.ComputeReferrersClosure(p));
                        }
                    var sorted = store.TopoSortPaths(set);
                    for (int i = sorted.Count - 1; i >= 0; i--) sb.Append(sorted[i]).Append('\n');
                    break;
                }
                case Kind.Deriver:
                    foreach (var p in args) sb.Append(store.QueryValidPathInfo(p).Deriver ?? "unknown-deriver").Append('\n');
                    break;
                case Kind.Hash: case Kind.Size:
                    foreach (var a in args)
                        foreach (var p in MaybeOutputs(store, a, useOut))
                        {
                            var info = store.QueryValidPathInfo(p);
                            if (kind == Kind.Size) sb.Append(info.NarSize).Append('\n');
                            else sb.Append(NarHashBase32(info.NarHash)).Append('\n');
                        }
                    break;
                case Kind.Tree:
                {
                    var done = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var p in args) PrintTree(store, p, "", "", done, sb);
                    break;
                }
                case Kind.Graph:
                    PrintDotGraph(store, args.SelectMany(a => MaybeOutputs(store, a, useOut)), sb);
                    break;
                case Kind.Resolve:
                    foreach (var p in args) sb.Append(p).Append('\n');
                    break;
                case Kind.Roots:
                {
                    var targets = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var a in args)
                        foreach (var p in MaybeOutputs(store, a, useOut)) targets.UnionWith(store.ComputeReferrersClosure(p));
                    var finder = new GcRoots(store.Layout, store.IsValidPath, store.Log);
                    var roots = finder.FindPermanentRoots();
                    foreach (var (target, links) in roots.OrderBy(r => r.Key, StringComparer.Ordinal))
                        if (targets.Contains(target))
                            foreach (var l in links.Order(StringComparer.Ordinal)) sb.Append(l).Append(" -> ").Append(target).Append('\n');
                    break;
                }
            }
            io.Out(StoreCommand.Encode(sb.ToString()));
            return 0;
        }));
        return cmd;
    }

    /// <summary>For a derivation (when asked), its output paths; otherwise the path itself.</summary>
    private static IEnumerable<string> MaybeOutputs(LocalStore store, string path, bool useOutput)
    {
        if (useOutput && path.EndsWith(".drv", StringComparison.Ordinal))
        {
            // As a set of store paths: in path order, not output-name order.
            var drv = store.ReadDerivationFile(path);
            foreach (var o in drv.Outputs.Values.Select(o => o.Path).Where(p => p.Length > 0).Order(StringComparer.Ordinal))
                yield return o;
        }
        else yield return path;
    }

    public static string NarHashBase32(string dbHash)
    {
        // The database keeps "sha256:<base16>"; nix-store prints base 32.
        var colon = dbHash.IndexOf(':');
        var algo = dbHash[..colon];
        var bytes = Convert.FromHexString(dbHash[(colon + 1)..]);
        return algo + ":" + Nixsharp.Formats.Hashes.NixBase32.Encode(bytes);
    }

    private static void PrintTree(LocalStore store, string path, string firstPad, string tailPad, HashSet<string> done, StringBuilder sb)
    {
        if (!done.Add(path))
        {
            sb.Append(firstPad).Append(path).Append(" [...]\n");
            return;
        }
        sb.Append(firstPad).Append(path).Append('\n');
        var sorted = store.TopoSortPaths(store.QueryValidPathInfo(path).References);
        sorted.Reverse();
        for (int i = 0; i < sorted.Count; i++)
        {
            bool last = i + 1 == sorted.Count;
            PrintTree(store, sorted[i], tailPad + (last ? "└───" : "├───"), tailPad + (last ? "    " : "│   "), done, sb);
        }
    }

    private static readonly string[] Colours = { "black", "red", "green", "blue", "magenta", "burlywood" };

    private static void PrintDotGraph(LocalStore store, IEnumerable<string> roots, StringBuilder sb)
    {
        var work = new SortedSet<string>(roots, StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        int colour = 0;
        sb.Append("digraph G {\n");
        while (work.Count > 0)
        {
            var path = work.Min!;
            work.Remove(path);
            if (!done.Add(path)) continue;
            var baseName = path[(path.LastIndexOf('/') + 1)..];
            sb.Append($"\"{baseName}\" [label = \"{baseName[33..]}\", shape = box, style = filled, fillcolor = \"#ff0000\"];\n");
            foreach (var r in store.QueryValidPathInfo(path).References.Order(StringComparer.Ordinal))
            {
                if (r == path) continue;
                work.Add(r);
                sb.Append($"\"{r[(r.LastIndexOf('/') + 1)..]}\" -> \"{baseName}\" [color = \"{Colours[colour++ % Colours.Length]}\"];\n");
            }
        }
        sb.Append("}\n");
    }
}
