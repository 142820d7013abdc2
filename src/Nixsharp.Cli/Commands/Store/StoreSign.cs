// `nixsharp store sign --key-file FILE PATHS...`: signs valid paths with a secret key and records
// the signatures in the store's database, as `nix store sign` does ("added N signatures").
namespace Nixsharp.Cli.Commands.Store;

using System.CommandLine;
using System.Text.Json;
using Nixsharp.Cli.Commands.Remote;
using Nixsharp.Cli.Glue;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Signing;

public static class StoreSign
{
    public static Command Create(CliIo io)
    {
        var storeOpt = StoreCommand.StoreOption();
        var keyFile = new Option<string?>("--key-file", "-k") { Description = "File containing the secret signing key" };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Sign the closures of the paths too" };
        var json = new Option<bool>("--json") { Description = "Print each path with the signature added to it, as JSON" };
        var paths = StoreCommand.PathsArgument();
        var cmd = new Command("sign", "Sign store paths with a secret key, recording the signatures in the store (like nix store sign)")
        {
            storeOpt, keyFile, recursive, json, paths,
        };
        cmd.SetAction(pr => StoreCommand.Guard(io, () =>
        {
            var file = pr.GetValue(keyFile) ?? throw new UsageException("you must specify a secret key file using '-k'");
            var key = KeyCommand.ReadSecretKeyFile(file, io);
            using var store = StoreOpener.Open(pr.GetValue(storeOpt), io);
            var targets = (pr.GetValue(paths) ?? []).Select(p => StoreCommand.FollowLinksToStorePath(store, p, io)).ToList();
            foreach (var t in targets) store.QueryValidPathInfo(t);
            IEnumerable<string> all = pr.GetValue(recursive) ? store.ComputeClosure(targets) : targets.Distinct(StringComparer.Ordinal);
            int added = 0;
            var signed = new List<(string Path, string Signature)>();
            foreach (var path in all.Order(StringComparer.Ordinal))
            {
                var info = store.QueryValidPathInfo(path);
                var signature = key.Sign(PathFingerprint.Of(path, Hash.ParseAnyPrefixed(info.NarHash), info.NarSize, info.References));
                signed.Add((path, signature));
                if (info.Signatures.Contains(signature)) continue;
                store.AddSignatures(path, [signature]);
                added++;
            }
            io.Err($"added {added} signatures\n");
            if (pr.GetValue(json))
            {
                using var buffer = new MemoryStream();
                using (var w = new Utf8JsonWriter(buffer))
                {
                    w.WriteStartArray();
                    foreach (var (p, s) in signed)
                    {
                        w.WriteStartObject();
                        w.WriteString("path", p);
                        w.WriteString("signature", s);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                io.Out(StoreCommand.Encode(System.Text.Encoding.UTF8.GetString(buffer.ToArray())) + "\n");
            }
            return 0;
        }));
        return cmd;
    }
}
