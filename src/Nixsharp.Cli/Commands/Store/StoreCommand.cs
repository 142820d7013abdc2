// `nixsharp store …`: nix-store's operations as subcommands, with the same output, so scripts
// written for nix-store keep working. Every subcommand takes --store.
namespace Nixsharp.Cli.Commands.Store;

using System.CommandLine;
using System.Text;
using Nixsharp.Cli.Glue;
using Nixsharp.Store.Local;

public static class StoreCommand
{
    public static Command Create(CliIo io)
    {
        var cmd = new Command("store", "Work with the Nix store (the operations of nix-store)");
        cmd.Subcommands.Add(Add(io));
        cmd.Subcommands.Add(AddFixed(io));
        cmd.Subcommands.Add(Dump(io));
        cmd.Subcommands.Add(Restore(io));
        cmd.Subcommands.Add(StoreQuery.Create(io));
        cmd.Subcommands.Add(Verify(io));
        cmd.Subcommands.Add(Delete(io));
        cmd.Subcommands.Add(Gc(io));
        cmd.Subcommands.Add(ExportImport.Export(io));
        cmd.Subcommands.Add(ExportImport.Import(io));
        cmd.Subcommands.Add(LogCommand.Create(io, "read-log"));
        cmd.Subcommands.Add(StoreSign.Create(io));
        cmd.Subcommands.Add(ServeCommand.Create(io));
        // Parsed by Build.RealiseCommand (nix-store's flags); listed here for --help.
        cmd.Subcommands.Add(new Command("realise", "Build derivations and print their outputs, like nix-store --realise (see 'nixsharp store realise --help')"));
        return cmd;
    }

    public static Option<string?> StoreOption() =>
        new("--store") { Description = "The store to use: 'auto' (default), 'local', a directory (a chroot store) or 'local?root=DIR'" };

    public static Argument<string[]> PathsArgument(string name = "paths", string description = "Store paths (or symlinks to them)") =>
        new(name) { Description = description, Arity = ArgumentArity.ZeroOrMore };

    /// <summary>Runs a store operation, turning expected failures into "error: …" and exit 1.</summary>
    public static int Guard(CliIo io, Func<int> body) => CommandGuard.Run(io, "store", body,
        e => e is StoreException or Nixsharp.Store.Database.StoreDatabaseException);

    /// <summary>Resolves a command-line argument to a store path: symlinks outside the store (like
    /// ./result) are followed, and a path inside a store path names that store path.</summary>
    public static string FollowLinksToStorePath(LocalStore store, string arg, CliIo io)
    {
        var path = Path.GetFullPath(arg, io.WorkingDirectory);
        for (int i = 0; i < 64; i++)
        {
            if (path.StartsWith(store.StoreDir + "/", StringComparison.Ordinal)) break;
            var target = File.ResolveLinkTarget(path, returnFinalTarget: false);
            if (target is null) break;
            var link = new FileInfo(path).LinkTarget!;
            path = Path.GetFullPath(link, Path.GetDirectoryName(path)!);
        }
        return store.ToStorePath(path);
    }

    private static Command Add(CliIo io)
    {
        var storeOpt = StoreOption();
        var paths = PathsArgument("paths", "Files or directories to copy into the store");
        var cmd = new Command("add", "Copy files or directories into the store (like nix-store --add) and print their store paths") { storeOpt, paths };
        cmd.SetAction(pr => Guard(io, () =>
        {
            using var store = StoreOpener.Open(pr.GetValue(storeOpt), io);
            foreach (var p in pr.GetValue(paths) ?? [])
            {
                var full = Path.GetFullPath(p, io.WorkingDirectory);
                io.Out(store.AddToStore(Path.GetFileName(full.TrimEnd('/')), full) + "\n");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command AddFixed(CliIo io)
    {
        var storeOpt = StoreOption();
        var recursive = new Option<bool>("--recursive") { Description = "Hash the NAR serialisation (directories allowed) instead of the file's contents" };
        var algo = new Argument<string>("algorithm") { Description = "md5, sha1, sha256 or sha512" };
        var paths = PathsArgument("paths", "Files (or, with --recursive, directories) to add");
        var cmd = new Command("add-fixed", "Add paths as fixed-output (content-addressed) paths with the given hash algorithm, like nix-store --add-fixed")
        {
            storeOpt, recursive, algo, paths,
        };
        cmd.SetAction(pr => Guard(io, () =>
        {
            var a = pr.GetValue(algo)!;
            if (a is not ("md5" or "sha1" or "sha256" or "sha512")) throw new UsageException($"unknown hash algorithm '{a}'");
            using var store = StoreOpener.Open(pr.GetValue(storeOpt), io);
            foreach (var p in pr.GetValue(paths) ?? [])
            {
                var full = Path.GetFullPath(p, io.WorkingDirectory);
                io.Out(store.AddToStore(Path.GetFileName(full.TrimEnd('/')), full, pr.GetValue(recursive), a) + "\n");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Dump(CliIo io)
    {
        var path = new Argument<string>("path") { Description = "The file, directory or symlink to serialise" };
        // Accepted as nix-store accepts it everywhere; dumping reads the path itself, in or out of a store.
        var storeOpt = StoreOption();
        var cmd = new Command("dump", "Write the NAR serialisation of a path to standard output (like nix-store --dump)") { storeOpt, path };
        cmd.SetAction(pr => Guard(io, () =>
        {
            var full = Path.GetFullPath(pr.GetValue(path)!, io.WorkingDirectory);
            if (Directory.Exists(full) is false && File.Exists(full) is false && new FileInfo(full).LinkTarget is null)
                throw new IOException($"getting status of '{full}': No such file or directory");
            var buffered = new BufferedStream(io.Stdout, 1 << 16);
            Nixsharp.Formats.Nar.NarWriter.Dump(full, buffered);
            buffered.Flush();
            return 0;
        }));
        return cmd;
    }

    private static Command Restore(CliIo io)
    {
        var path = new Argument<string>("path") { Description = "Where to unpack the NAR read from standard input (must not exist)" };
        var storeOpt = StoreOption(); // accepted as for dump: restoring writes to a plain path
        var cmd = new Command("restore", "Unpack a NAR from standard input into a path (like nix-store --restore)") { storeOpt, path };
        cmd.SetAction(pr => Guard(io, () =>
        {
            var full = Path.GetFullPath(pr.GetValue(path)!, io.WorkingDirectory);
            using var stdin = io.Stdin();
            Nixsharp.Formats.Nar.NarReader.Parse(new BufferedStream(stdin, 1 << 16), new Nixsharp.Formats.Nar.NarRestorer(full));
            return 0;
        }));
        return cmd;
    }

    private static Command Verify(CliIo io)
    {
        var storeOpt = StoreOption();
        var checkContents = new Option<bool>("--check-contents") { Description = "Also hash every valid path and compare with the database" };
        var repair = new Option<bool>("--repair")
        {
            Description = "Put back damaged or missing paths: from a substituter (with the recorded hash), else by rebuilding " +
                          "their deriver in the sandbox",
        };
        var options = Remote.CopyCommand.SettingOption();
        options.Description = "Set a setting: --option NAME VALUE (substituters, trusted-public-keys, require-sigs, sandbox-paths " +
                              "and the other build settings, used by --repair)";
        var cmd = new Command("verify", "Check the consistency of the store database with the store (like nix-store --verify)")
            { storeOpt, checkContents, repair, options };
        cmd.SetAction(pr => Guard(io, () =>
        {
            var flags = Build.BuildFlags.FromConfig(io);
            var pairs = pr.GetValue(options) ?? [];
            for (int i = 0; i + 1 < pairs.Length; i += 2)
            {
                string[] args = ["--option", pairs[i], pairs[i + 1]];
                int at = 0;
                if (!flags.TryParse(args, ref at) && !Settings.SettingNames.IsKnown(Settings.SettingNames.Canonical(pairs[i])))
                    io.Err($"warning: unknown setting '{pairs[i]}'\n");
            }
            flags.Validate();
            using var store = StoreOpener.Open(pr.GetValue(storeOpt), io);
            bool errors;
            if (pr.GetValue(repair))
            {
                var log = new Build.StderrBuildLog(io, flags);
                using var substituters = new Build.SubstituterSetup(flags, store, log);
                try
                {
                    var repairer = new Nixsharp.Builder.Scheduling.PathRepairer(store, () => flags.ToSettings(store, io, importShell: true),
                        log, io.GetEnv, substituters.Set);
                    errors = store.Verify(pr.GetValue(checkContents), repairer.Repair);
                }
                finally
                {
                    log.Finish();
                }
            }
            else errors = store.Verify(pr.GetValue(checkContents), null);
            if (errors)
            {
                io.Err("warning: not all store errors were fixed\n");
                return 1;
            }
            return 0;
        }));
        return cmd;
    }

    private static Command Delete(CliIo io)
    {
        var storeOpt = StoreOption();
        var ignoreLiveness = new Option<bool>("--ignore-liveness") { Description = "Delete even if roots keep the paths alive (dangerous)" };
        var paths = PathsArgument();
        var cmd = new Command("delete", "Delete store paths that nothing refers to and no root keeps (like nix-store --delete)") { storeOpt, ignoreLiveness, paths };
        cmd.SetAction(pr => Guard(io, () =>
        {
            using var store = StoreOpener.Open(pr.GetValue(storeOpt), io);
            var targets = (pr.GetValue(paths) ?? []).Select(p => FollowLinksToStorePath(store, p, io)).ToList();
            var results = store.CollectGarbage(new GcOptions
            {
                Action = GcAction.DeleteSpecific, PathsToDelete = targets, IgnoreLiveness = pr.GetValue(ignoreLiveness),
            });
            io.Out(FreedLine(results));
            return 0;
        }));
        return cmd;
    }

    private static Command Gc(CliIo io)
    {
        var storeOpt = StoreOption();
        var printRoots = new Option<bool>("--print-roots") { Description = "Print the GC roots and exit" };
        var printLive = new Option<bool>("--print-live") { Description = "Print the paths that would be kept" };
        var printDead = new Option<bool>("--print-dead") { Description = "Print the paths that would be deleted" };
        var maxFreed = new Option<long?>("--max-freed") { Description = "Stop after freeing this many bytes" };
        var cmd = new Command("gc", "Delete unreachable store paths (like nix-store --gc)") { storeOpt, printRoots, printLive, printDead, maxFreed };
        cmd.SetAction(pr => Guard(io, () =>
        {
            using var store = StoreOpener.Open(pr.GetValue(storeOpt), io);
            if (pr.GetValue(printRoots))
            {
                var finder = new GcRoots(store.Layout, store.IsValidPath, store.Log);
                var pairs = new SortedSet<(string Link, string Target)>();
                foreach (var (target, links) in finder.FindPermanentRoots())
                    foreach (var l in links) pairs.Add((l, target));
                var sb = new StringBuilder();
                foreach (var (l, t) in pairs) sb.Append(l).Append(" -> ").Append(t).Append('\n');
                io.Out(Encode(sb.ToString()));
                return 0;
            }
            var action = pr.GetValue(printLive) ? GcAction.ReturnLive : pr.GetValue(printDead) ? GcAction.ReturnDead : GcAction.DeleteDead;
            var results = store.CollectGarbage(new GcOptions { Action = action, MaxFreed = Math.Max(0, pr.GetValue(maxFreed) ?? long.MaxValue) });
            if (action == GcAction.DeleteDead) io.Out(FreedLine(results));
            else io.Out(Encode(string.Concat(results.Paths.Select(p => p + "\n"))));
            return 0;
        }));
        return cmd;
    }

    public static string FreedLine(GcResults r) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{r.Paths.Count} store paths deleted, {r.BytesFreed / (1024.0 * 1024.0):F2} MiB freed\n");

    /// <summary>Text (UTF-16) to the byte-string form CliIo writes.</summary>
    public static string Encode(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));
}
