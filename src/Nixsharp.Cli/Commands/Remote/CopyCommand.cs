// `nixsharp copy --to URL | --from URL PATHS...`: copies closures between the local store (--store)
// and another store, as Nix 2.8's `nix copy`. The URL's scheme picks the transport: ssh:// (the
// nix-store --serve protocol, SshCopyCommand.cs), a file:// binary cache or (--from) an http(s)://
// one (here). Imports from a
// cache require signatures by a key in trusted-public-keys (content-addressed paths prove
// themselves), unless --no-check-sigs.
namespace Nixsharp.Cli.Commands.Remote;

using System.CommandLine;
using System.Text.Json;
using Nixsharp.Cli.Commands.Store;
using Nixsharp.Cli.Glue;
using Nixsharp.Formats.Signing;
using Nixsharp.Remote.BinaryCaches;
using Nixsharp.Remote.Ssh;
using Nixsharp.Store.Local;

public static class CopyCommand
{
    /// <summary>Nix's default trusted-public-keys: the key of cache.nixos.org.</summary>
    public const string DefaultTrustedPublicKeys = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

    public static Command Create(CliIo io)
    {
        var to = new Option<string?>("--to") { Description = "Copy to this store: ssh://[user@]host[:port][?remote-program=…&remote-store=…] or file:///DIR[?compression=xz|zstd|none&compression-level=N&secret-key=FILE]" };
        var from = new Option<string?>("--from") { Description = "Copy from this store: ssh://[user@]host[:port][?…], file:///DIR or http(s)://HOST/PATH" };
        var storeOpt = StoreCommand.StoreOption();
        var noCheckSigs = new Option<bool>("--no-check-sigs") { Description = "Do not require that paths are signed by trusted keys" };
        var options = SettingOption();
        var jobs = new Option<int?>("--jobs", "-j") { Description = "Paths copied at once to or from a binary cache (default: one per CPU; ssh:// copies go one at a time over one connection)" };
        var json = new Option<bool>("--json") { Description = "Print what was copied as JSON (file://: the list of paths; ssh://: paths, bytes and requests)" };
        var paths = StoreCommand.PathsArgument("paths", "Store paths to copy, with their closures");
        var cmd = new Command("copy", "Copy store paths and their closures to or from another store over ssh or a binary cache (like nix copy)")
        {
            to, from, storeOpt, noCheckSigs, options, jobs, json, paths,
        };
        cmd.SetAction(pr => Guard(io, () =>
        {
            var toUrl = pr.GetValue(to);
            var fromUrl = pr.GetValue(from);
            if ((toUrl is null) == (fromUrl is null)) throw new UsageException("give exactly one of '--to URL' and '--from URL'");
            var remoteUrl = toUrl ?? fromUrl!;
            var settings = ParseSettings(pr.GetValue(options) ?? [], io);
            // Imports (from ssh:// as from a cache) need trusted signatures, as with Nix; null: unchecked.
            TrustedKeys? trustedForImport = fromUrl is not null && settings.RequireSigs && !pr.GetValue(noCheckSigs)
                ? TrustedKeys.Parse(settings.TrustedPublicKeys) : null;
            if (SshStoreUrl.IsSshUrl(remoteUrl))
                return SshCopyCommand.Run(io, new SshCopyCommand.Request(remoteUrl,
                    ToRemote: toUrl is not null, pr.GetValue(storeOpt), pr.GetValue(paths) ?? [], pr.GetValue(json),
                    TrustedForImport: trustedForImport));
            var args = pr.GetValue(paths) ?? [];
            if (args.Length == 0) throw new UsageException("no store paths given");
            using var store = StoreOpener.Open(pr.GetValue(storeOpt), io);
            IReadOnlyList<string> copied;
            int parallel = pr.GetValue(jobs) is { } j ? (j >= 1 ? j : throw new UsageException($"--jobs must be at least 1, not {j}")) : BinaryCacheCopy.DefaultJobs;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var progress = new CountingCopyProgress(new CopyProgressPrinter(io, toUrl ?? fromUrl!, toRemote: toUrl is not null));
            if (toUrl is not null && HttpBinaryCache.IsHttpUrl(toUrl))
                throw new UsageException($"'{toUrl}': http(s):// binary caches are read-only in nixsharp (copy --from them; write with --to file:///DIR)");
            if (toUrl is not null)
            {
                var url = ParseUrl(toUrl);
                var key = url.SecretKeyFile is { } f ? KeyCommand.ReadSecretKeyFile(f, io) : null;
                var targets = args.Select(a => StoreCommand.FollowLinksToStorePath(store, a, io)).ToList();
                foreach (var t in targets) store.QueryValidPathInfo(t);
                var cache = FileBinaryCache.Open(url.Directory, store.StoreDir, create: true);
                copied = BinaryCacheCopy.CopyTo(store, cache, targets, url.Compression, key, progress, parallel, url.CompressionLevel);
            }
            else if (HttpBinaryCache.IsHttpUrl(fromUrl!))
            {
                var targets = args.Select(a => store.ParseStorePath(Path.GetFullPath(a, io.WorkingDirectory))).ToList();
                var trusted = TrustedKeys.Parse(settings.TrustedPublicKeys);
                using var cache = HttpBinaryCache.Open(fromUrl!, store.StoreDir);
                bool check = settings.RequireSigs && !pr.GetValue(noCheckSigs);
                copied = BinaryCacheCopy.CopyFrom(cache, store, targets, trusted, check, progress, parallel);
            }
            else
            {
                var url = ParseUrl(fromUrl!);
                if (url.SecretKeyFile is not null || url.Compression != "xz" || url.CompressionLevel != -1)
                    throw new UsageException($"'{fromUrl}': compression and secret-key are settings for writing a cache");
                var targets = args.Select(a => store.ParseStorePath(Path.GetFullPath(a, io.WorkingDirectory))).ToList();
                var trusted = TrustedKeys.Parse(settings.TrustedPublicKeys);
                var cache = FileBinaryCache.Open(url.Directory, store.StoreDir, create: false);
                bool check = settings.RequireSigs && !pr.GetValue(noCheckSigs);
                copied = BinaryCacheCopy.CopyFrom(cache, store, targets, trusted, check, progress, parallel);
            }
            progress.Printer.Finish(copied.Count, progress.Bytes, progress.AlreadyPresent, clock.Elapsed);
            if (pr.GetValue(json)) io.Out(StoreCommand.Encode(JsonList(copied)) + "\n");
            return 0;
        }));
        return cmd;
    }

    private static FileCacheUrl ParseUrl(string url)
    {
        if (!FileCacheUrl.IsFileUrl(url))
            throw new UsageException($"store '{url}' is not supported by 'copy' yet: nixsharp copies over ssh://, to and from file:// binary caches and from http(s):// ones");
        return FileCacheUrl.Parse(url);
    }

    private static string JsonList(IEnumerable<string> items)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var i in items) w.WriteStringValue(i);
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>`--option NAME VALUE`, as many times as wanted.</summary>
    public static Option<string[]> SettingOption() => new("--option")
    {
        Description = "Set a setting: --option NAME VALUE (trusted-public-keys, require-sigs)",
        Arity = new ArgumentArity(2, 2),
        AllowMultipleArgumentsPerToken = true,
    };

    public sealed record Settings(string TrustedPublicKeys, bool RequireSigs);

    /// <summary>The settings copying uses, from nix.conf and then `--option`, read as the build
    /// commands read them (so `extra-` and errors behave the same); unknown names are warned
    /// about, as Nix does.</summary>
    public static Settings ParseSettings(string[] pairs, CliIo io)
    {
        var flags = Build.BuildFlags.FromConfig(io);
        for (int i = 0; i + 1 < pairs.Length; i += 2)
        {
            var name = Nixsharp.Cli.Settings.SettingNames.Canonical(pairs[i]);
            if (Build.BuildFlags.IsBuildOption(name)) flags.SetOption(name, pairs[i + 1]);
            else if (!Nixsharp.Cli.Settings.SettingNames.IsKnown(name)) io.Err($"warning: unknown setting '{name}'\n");
        }
        return new Settings(flags.AllTrustedPublicKeys, flags.RequireSigs);
    }

    /// <summary>Turns the expected failures of either transport into "error: …" and exit 1.</summary>
    public static int Guard(CliIo io, Func<int> body) => CommandGuard.Run(io, "copy", body,
        e => e is BinaryCacheException or RemoteException or StoreException or Nixsharp.Store.Database.StoreDatabaseException);
}
