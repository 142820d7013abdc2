// The nixsharp command tree. Each verb lives in Commands/; this file only routes.
namespace Nixsharp.Cli;

using System.CommandLine;
using Nixsharp.Cli.Commands;

public static class Cli
{
    public static int Run(string[] args, CliIo io)
    {
        // Configuration files first: a broken one stops every command, as in Nix.
        try
        {
            _ = io.Config;
        }
        catch (Nixsharp.Formats.Config.ConfigFileException e)
        {
            io.Err($"error: {Commands.Store.StoreCommand.Encode(e.Message)}\n");
            return 1;
        }
        // nix-instantiate's command line is not POSIX-shaped (--arg takes two values, order matters),
        // so `instantiate` parses its own arguments, exactly as nix-instantiate does.
        if (args.Length > 0 && args[0] == "instantiate")
            return InstantiateCommand.Run(args.AsSpan(1).ToArray(), io);
        // So do `build` and `store realise` (nix-build's and nix-store -r's flags, --option NAME VALUE).
        if (args.Length > 0 && args[0] == "build")
            return Commands.Build.BuildCommand.Run(args.AsSpan(1).ToArray(), io);
        if (args.Length > 1 && args[0] == "store" && args[1] == "realise")
            return Commands.Build.RealiseCommand.Run(args.AsSpan(2).ToArray(), io);

        var root = new RootCommand("nixsharp: the Nix language, store and deployment in one binary");
        root.Subcommands.Add(EvalCommand.Create(io));
        root.Subcommands.Add(Commands.Store.StoreCommand.Create(io));
        root.Subcommands.Add(HashCommand.Create(io));
        root.Subcommands.Add(LogCommand.Create(io));
        root.Subcommands.Add(Commands.Remote.KeyCommand.Create(io));
        root.Subcommands.Add(Commands.Remote.CopyCommand.Create(io));
        root.Subcommands.Add(Commands.Remote.CopyClosureCommand.Create(io));
        root.Subcommands.Add(new Command("instantiate", "Evaluate Nix expressions like nix-instantiate (see 'nixsharp instantiate --help')"));
        root.Subcommands.Add(new Command("build", "Build derivations like nix-build (see 'nixsharp build --help')"));
        var config = new InvocationConfiguration
        {
            Output = new StreamWriter(io.Stdout) { AutoFlush = true },
            Error = new StreamWriter(io.Stderr) { AutoFlush = true },
        };
        return root.Parse(args).Invoke(config);
    }
}
