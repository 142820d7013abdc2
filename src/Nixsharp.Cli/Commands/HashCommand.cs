// `nixsharp hash path|file`: the hash of a path's NAR serialisation or of a file's contents, as
// `nix-hash` and `nix hash path` print them.
namespace Nixsharp.Cli.Commands;

using System.CommandLine;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;

public static class HashCommand
{
    public static Command Create(CliIo io)
    {
        var cmd = new Command("hash", "Compute hashes of files and directory trees");
        cmd.Subcommands.Add(Make(io, "path", "Print the hash of each path's NAR serialisation (like nix-hash / nix hash path)", recursive: true));
        cmd.Subcommands.Add(Make(io, "file", "Print the hash of each file's contents (like nix-hash --flat / nix hash file)", recursive: false));
        return cmd;
    }

    private static Command Make(CliIo io, string name, string description, bool recursive)
    {
        var type = new Option<string>("--type") { Description = "md5, sha1, sha256 (default) or sha512", DefaultValueFactory = _ => "sha256" };
        var base16 = new Option<bool>("--base16") { Description = "Print in base 16" };
        var base32 = new Option<bool>("--base32") { Description = "Print in Nix's base 32" };
        var base64 = new Option<bool>("--base64") { Description = "Print in base 64" };
        var sri = new Option<bool>("--sri") { Description = "Print as an SRI hash (the default)" };
        var paths = new Argument<string[]>("paths") { Arity = ArgumentArity.OneOrMore };
        var cmd = new Command(name, description) { type, base16, base32, base64, sri, paths };
        cmd.SetAction(pr =>
        {
            try
            {
                var t = Hash.ParseType(pr.GetValue(type)!);
                var format = pr.GetValue(base16) ? HashFormat.Base16 : pr.GetValue(base32) ? HashFormat.Base32
                    : pr.GetValue(base64) ? HashFormat.Base64 : HashFormat.Sri;
                foreach (var p in pr.GetValue(paths)!)
                {
                    var full = Path.GetFullPath(p, io.WorkingDirectory);
                    using var h = HashAlgorithms.Create(Hash.NameOf(t));
                    using var sink = new HashingStream(h);
                    if (recursive) NarWriter.Dump(full, sink);
                    else using (var f = File.OpenRead(full)) f.CopyTo(sink, 1 << 16);
                    var hash = new Hash(t, h.GetHashAndReset());
                    io.Out(hash.ToString(format, includeAlgo: format == HashFormat.Sri) + "\n");
                }
                return 0;
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                io.Err($"error: {e.Message}\n");
                return 1;
            }
        });
        return cmd;
    }
}
