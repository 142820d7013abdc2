// `nixsharp copy-closure [--to | --from] [user@]host PATHS...`: nix-copy-closure's command line
// for copying over ssh (the host may carry ssh:// settings: host?remote-program=…, as with Nix).
namespace Nixsharp.Cli.Commands.Remote;

using System.CommandLine;
using Nixsharp.Cli.Commands.Store;

public static class CopyClosureCommand
{
    public static Command Create(CliIo io)
    {
        var to = new Option<bool>("--to") { Description = "Copy from the local store to the host (the default)" };
        var from = new Option<bool>("--from") { Description = "Copy from the host to the local store" };
        var gzip = new Option<bool>("--gzip") { Description = "Compress the ssh connection (ssh -C)" };
        var includeOutputs = new Option<bool>("--include-outputs") { Description = "Also copy the outputs of derivations in the closure" };
        var substitute = new Option<bool>("--use-substitutes", "-s") { Description = "Let the destination download paths from its substituters instead (with --to)" };
        var storeOpt = StoreCommand.StoreOption();
        var json = new Option<bool>("--json") { Description = "Print a JSON summary on standard output" };
        var host = new Argument<string>("host") { Description = "[user@]host (an ssh_config alias works)" };
        var paths = StoreCommand.PathsArgument("paths", "Store paths to copy, with their closures");
        var cmd = new Command("copy-closure", "Copy store paths and their closures to or from a host over ssh (like nix-copy-closure)")
        {
            to, from, gzip, includeOutputs, substitute, storeOpt, json, host, paths,
        };
        cmd.SetAction(pr => CopyCommand.Guard(io, () =>
        {
            if (pr.GetValue(to) && pr.GetValue(from)) throw new UsageException("give at most one of '--to' and '--from'");
            var h = pr.GetValue(host)!;
            if (h.Contains("://", StringComparison.Ordinal)) throw new UsageException($"'{h}' is a URL; copy-closure takes [user@]host (use 'nixsharp copy --to URL')");
            var url = "ssh://" + h;
            if (pr.GetValue(gzip)) url += (h.Contains('?') ? "&" : "?") + "compress=true";
            return SshCopyCommand.Run(io, new SshCopyCommand.Request(url, ToRemote: !pr.GetValue(from), pr.GetValue(storeOpt),
                pr.GetValue(paths) ?? [], pr.GetValue(json), pr.GetValue(includeOutputs), pr.GetValue(substitute)));
        }));
        return cmd;
    }
}
