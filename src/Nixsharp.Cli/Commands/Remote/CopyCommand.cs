// `nixsharp copy --to URL | --from URL PATHS...`: copies closures between the local store (--store)
// and another store. The URL's scheme picks the transport; each transport has its own file.
namespace Nixsharp.Cli.Commands.Remote;

using System.CommandLine;
using Nixsharp.Cli.Commands.Store;
using Nixsharp.Remote.Ssh;

public static class CopyCommand
{
    public static Command Create(CliIo io)
    {
        var to = new Option<string?>("--to") { Description = "Copy to this store: ssh://[user@]host[:port][?remote-program=…&remote-store=…]" };
        var from = new Option<string?>("--from") { Description = "Copy from this store: ssh://[user@]host[:port][?remote-program=…&remote-store=…]" };
        var storeOpt = StoreCommand.StoreOption();
        var json = new Option<bool>("--json") { Description = "Print a JSON summary (paths copied, bytes, requests) on standard output" };
        var paths = StoreCommand.PathsArgument("paths", "Store paths to copy, with their closures");
        var cmd = new Command("copy", "Copy store paths and their closures to or from another store (like nix copy)")
        {
            to, from, storeOpt, json, paths,
        };
        cmd.SetAction(pr => SshCopyCommand.Guard(io, () =>
        {
            var toUrl = pr.GetValue(to);
            var fromUrl = pr.GetValue(from);
            if ((toUrl is null) == (fromUrl is null)) throw new UsageException("give exactly one of '--to URL' and '--from URL'");
            var url = toUrl ?? fromUrl!;
            var request = new SshCopyCommand.Request(url, ToRemote: toUrl is not null, pr.GetValue(storeOpt), pr.GetValue(paths) ?? [], pr.GetValue(json));
            if (SshStoreUrl.IsSshUrl(url)) return SshCopyCommand.Run(io, request);
            throw new UsageException($"store '{url}' is not supported by 'copy' yet: nixsharp copies over ssh:// (ssh://[user@]host[:port])");
        }));
        return cmd;
    }
}
