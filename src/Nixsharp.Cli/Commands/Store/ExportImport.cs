// `nixsharp store export` / `import`: Nix's export format on standard output / input.
namespace Nixsharp.Cli.Commands.Store;

using System.CommandLine;
using Nixsharp.Cli.Glue;

public static class ExportImport
{
    public static Command Export(CliIo io)
    {
        var storeOpt = StoreCommand.StoreOption();
        var paths = StoreCommand.PathsArgument();
        var cmd = new Command("export", "Write store paths in Nix's export format to standard output (like nix-store --export)") { storeOpt, paths };
        cmd.SetAction(pr => StoreCommand.Guard(io, () =>
        {
            using var store = StoreOpener.Open(pr.GetValue(storeOpt), io);
            var targets = (pr.GetValue(paths) ?? []).Select(p => StoreCommand.FollowLinksToStorePath(store, p, io)).ToList();
            var output = new BufferedStream(io.Stdout, 1 << 16);
            store.ExportPaths(targets, output);
            output.Flush();
            return 0;
        }));
        return cmd;
    }

    public static Command Import(CliIo io)
    {
        var storeOpt = StoreCommand.StoreOption();
        var cmd = new Command("import", "Import paths from an export stream on standard input and print them (like nix-store --import)") { storeOpt };
        cmd.SetAction(pr => StoreCommand.Guard(io, () =>
        {
            using var store = StoreOpener.Open(pr.GetValue(storeOpt), io);
            using var stdin = io.Stdin();
            foreach (var p in store.ImportPaths(new BufferedStream(stdin, 1 << 16))) io.Out(p + "\n");
            return 0;
        }));
        return cmd;
    }
}
