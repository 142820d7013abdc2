// `nixsharp log PATH...` (and `nixsharp store read-log`, nix-store -l): prints the stored build log
// of each derivation, named by its .drv or by one of its outputs (whose deriver the store knows),
// as nix-store --read-log 2.8 does; logs written by Nix and by nixsharp alike.
namespace Nixsharp.Cli.Commands;

using System.CommandLine;
using Nixsharp.Cli.Commands.Store;
using Nixsharp.Cli.Glue;
using Nixsharp.Store.Local;

public static class LogCommand
{
    public static Command Create(CliIo io, string name = "log")
    {
        var storeOpt = StoreCommand.StoreOption();
        var paths = new Argument<string[]>("paths")
        {
            Description = "Derivations (.drv) or their outputs (or symlinks to them, such as ./result)",
            Arity = ArgumentArity.OneOrMore,
        };
        var cmd = new Command(name, "Print the build log of derivations, like nix-store --read-log") { storeOpt, paths };
        cmd.SetAction(pr => StoreCommand.Guard(io, () =>
        {
            using var store = StoreOpener.Open(pr.GetValue(storeOpt), io);
            foreach (var p in pr.GetValue(paths) ?? [])
            {
                var path = StoreCommand.FollowLinksToStorePath(store, p, io);
                var log = Read(store, path) ?? throw new StoreException($"build log of derivation '{path}' is not available");
                io.Stdout.Write(log);
                io.Stdout.Flush();
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>The log of a derivation, or of the derivation a valid path was built by. A path
    /// that is not valid is looked up as if it were a derivation, as Nix does.</summary>
    public static byte[]? Read(LocalStore store, string path)
    {
        var drvPath = path;
        if (!path.EndsWith(".drv", StringComparison.Ordinal) && store.QueryPathInfo(path) is { } info)
        {
            if (info.Deriver is null) return null;
            drvPath = info.Deriver;
        }
        return BuildLogs.Read(store.Layout, drvPath);
    }
}
