// `nixsharp store serve [--write]`: the serve protocol on standard input and output, for clients
// that reach this machine over ssh (`nix copy --to ssh://…`, nix-copy-closure, `nixsharp copy`).
// Nix runs "<remote-program> --serve --write [--store S]", so a redundant --serve is accepted, and
// the binary run under the name nix-store goes here for --serve (see Program).
namespace Nixsharp.Cli.Commands.Store;

using System.CommandLine;
using Nixsharp.Cli.Glue;
using Nixsharp.Formats.Wire;
using Nixsharp.Remote.Ssh;

public static class ServeCommand
{
    public static Command Create(CliIo io)
    {
        var storeOpt = StoreCommand.StoreOption();
        var write = new Option<bool>("--write") { Description = "Allow clients to add paths (import, add-to-store-nar)" };
        var serve = new Option<bool>("--serve") { Description = "Accepted for nix-store compatibility (remote-program is run with --serve)", Hidden = true };
        var cmd = new Command("serve", "Serve the store over standard input and output with nix-store --serve's protocol (for ssh:// clients)")
        {
            storeOpt, write, serve,
        };
        cmd.SetAction(pr => Run(io, pr.GetValue(storeOpt), pr.GetValue(write)));
        return cmd;
    }

    public static int Run(CliIo io, string? storeUri, bool write) => StoreCommand.Guard(io, () =>
    {
        using var store = StoreOpener.Open(storeUri, io);
        using var stdin = io.Stdin();
        var input = new BufferedStream(stdin, 1 << 16);
        var output = new BufferedStream(io.Stdout, 1 << 16);
        try
        {
            new ServeServer(store, write).Run(input, output);
        }
        catch (WireFormatException e)
        {
            // Garbage from the client, or its connection ended mid-command.
            throw new IOException($"serve protocol: {e.Message}");
        }
        output.Flush();
        return 0;
    });
}
