// `nixsharp store realise`: nix-store --realise. Builds the given derivations (DRV, or DRV!OUT,...
// for some outputs; symlinks to them are followed) and prints their output paths, one sorted set
// per argument; plain store paths are checked to be valid.
namespace Nixsharp.Cli.Commands.Build;

using Nixsharp.Builder;
using Nixsharp.Builder.Scheduling;
using Nixsharp.Cli.Commands.Store;
using Nixsharp.Store.Local;

public static class RealiseCommand
{
    public const string Help =
        "Usage: nixsharp store realise [OPTIONS...] PATHS...\n" +
        "\n" +
        "Builds derivations (PATH.drv, or PATH.drv!OUT1,OUT2 for some outputs) and prints their output\n" +
        "paths, as nix-store --realise does; other store paths must be valid and are printed.\n" +
        "\n" +
        "  --store STORE       the store to use ('auto', 'local', a directory, 'local?root=DIR')\n" +
        "  --add-root PATH     register the outputs as GC roots PATH, PATH-2, ... (PATH-OUT for outputs other than out)\n" +
        "  --ignore-unknown    skip paths that are not valid and cannot be built\n" +
        BuildFlags.Help +
        "Exit status as nix-store: 100 when a builder failed, 101 when it timed out, 102 on a fixed-output\n" +
        "hash mismatch, 104 when --check found a difference, 1 for other errors.\n" +
        BuildFlags.LogsHelp;

    public static int Run(string[] args, CliIo io) => StoreCommand.Guard(io, () =>
    {
        var flags = BuildFlags.FromConfig(io);
        var paths = new List<string>();
        string? storeUri = null, gcRoot = null;
        bool ignoreUnknown = false;
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            switch (a)
            {
                case "--help": case "-h": io.Out(Help); return 0;
                case "--store": storeUri = Need(args, ref i); break;
                case "--add-root": gcRoot = Need(args, ref i); break;
                case "--ignore-unknown": ignoreUnknown = true; break;
                case "--option":
                    if (flags.TryParse(args, ref i)) break;
                    Need(args, ref i); Need(args, ref i); // settings of other layers: accepted, ignored
                    break;
                default:
                    if (flags.TryParse(args, ref i)) break;
                    if (a.StartsWith('-')) throw new UsageException($"unknown flag '{a}'");
                    paths.Add(a);
                    break;
            }
        }
        flags.Validate();
        using var store = Glue.StoreOpener.Open(storeUri, io);

        // Each argument: a store path (following symlinks outside the store) with optional !outputs.
        var items = new List<(string Path, HashSet<string> Outputs)>();
        foreach (var p in paths)
        {
            var bang = p.IndexOf('!');
            var pathPart = bang < 0 ? p : p[..bang];
            var outs = new HashSet<string>(bang < 0 ? Array.Empty<string>() : p[(bang + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
            items.Add((StoreCommand.FollowLinksToStorePath(store, pathPart, io), outs));
        }
        // Derivations that are not valid cannot be built (nor fetched: Nix 2.8 does not fetch .drv
        // files); other paths that are not valid may be fetched.
        var missingDrvs = items.Where(x => x.Path.EndsWith(".drv", StringComparison.Ordinal) && !store.IsValidPath(x.Path))
            .Select(x => x.Path).ToHashSet(StringComparer.Ordinal);
        var requests = items.Where(x => x.Path.EndsWith(".drv", StringComparison.Ordinal) && store.IsValidPath(x.Path))
            .Select(x => new BuildRequest(x.Path, x.Outputs)).ToList();
        var log = new StderrBuildLog(io, flags);
        using var substituters = new SubstituterSetup(flags, store, log);
        try
        {
            var settings = flags.ToSettings(store, io, importShell: !flags.DryRun && requests.Count > 0);
            var realiser = new Realiser(store, settings, log, io.GetEnv, substituters.Set);
            var fetchable = items.Where(x => !x.Path.EndsWith(".drv", StringComparison.Ordinal) && !store.IsValidPath(x.Path))
                .Select(x => x.Path).Distinct(StringComparer.Ordinal).ToList();
            var missing = realiser.QueryMissing(requests, fetchable);
            var unknown = missing.Unknown.Concat(missingDrvs).ToHashSet(StringComparer.Ordinal);
            if (ignoreUnknown)
            {
                // Requested paths found nowhere are skipped, and nothing is said about what is unknown.
                items = items.Where(x => !unknown.Contains(x.Path)).ToList();
                fetchable = fetchable.Where(p => !unknown.Contains(p)).ToList();
                missingDrvs.Clear();
                missing = missing with { Unknown = [] };
            }
            else missing = missing with { Unknown = unknown.Order(StringComparer.Ordinal).ToList() };
            MissingReport.Print(io, missing);
            if (flags.DryRun) return 0;
            foreach (var d in missingDrvs.Order(StringComparer.Ordinal))
                throw new StoreException($"cannot build missing derivation '{d}'");
            realiser.Realise(requests, fetchable);
        }
        catch (RealiseException e)
        {
            log.Finish();
            io.Err(StoreCommand.Encode(BuildFlags.FormatError(e.Message)));
            return e.ExitStatus;
        }
        finally
        {
            log.Finish();
        }

        var roots = new GcRoots(store.Layout, store.IsValidPath, store.Log);
        int rootNumber = 0;
        bool warned = false;
        string Root(string target, string suffix)
        {
            if (gcRoot is null)
            {
                if (!warned) io.Err("warning: you did not specify '--add-root'; the result might be removed by the garbage collector\n");
                warned = true;
                return target;
            }
            var name = gcRoot + (rootNumber > 1 ? "-" + rootNumber : "") + suffix;
            return roots.AddPermRoot(target, Path.GetFullPath(name, io.WorkingDirectory));
        }
        foreach (var (path, outs) in items)
        {
            rootNumber++;
            var printed = new SortedSet<string>(StringComparer.Ordinal);
            if (path.EndsWith(".drv", StringComparison.Ordinal))
            {
                var drv = store.ReadDerivationFile(path);
                var names = outs.Count == 0 ? drv.Outputs.Keys.ToList() : outs.ToList();
                foreach (var name in names)
                {
                    if (!drv.Outputs.TryGetValue(name, out var o))
                        throw new StoreException($"derivation '{path}' does not have an output named '{name}'");
                    printed.Add(Root(o.Path, name != "out" ? "-" + name : ""));
                }
            }
            else printed.Add(Root(path, ""));
            io.Out(StoreCommand.Encode(string.Concat(printed.Select(x => x + "\n"))));
        }
        return 0;
    });

    private static string Need(string[] args, ref int i)
    {
        if (i + 1 >= args.Length) throw new UsageException($"flag '{args[i]}' requires an argument");
        return args[++i];
    }
}
