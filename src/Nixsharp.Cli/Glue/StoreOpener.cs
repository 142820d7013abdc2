// Which store a command works on: `--store` as Nix 2.8 reads it ("auto"/"local", a directory for a
// chroot store, "local?root=DIR"), with NIX_STORE_DIR/NIX_STATE_DIR/NIX_LOG_DIR, and the fallback
// later Nix versions (2.10 on) have for users when /nix does not exist: a chroot store under their
// data directory. (Nix 2.8 itself would try to create /nix and fail.)
namespace Nixsharp.Cli.Glue;

using Nixsharp.Store.Local;

public static class StoreOpener
{
    public static StoreLayout Resolve(string? uri, CliIo io)
    {
        var storeDir = io.GetEnv("NIX_STORE_DIR") is { Length: > 0 } sd ? sd : "/nix/store";
        var stateDir = io.GetEnv("NIX_STATE_DIR") is { Length: > 0 } st ? st : "/nix/var/nix";
        var logDir = io.GetEnv("NIX_LOG_DIR") is { Length: > 0 } ld ? ld : "/nix/var/log/nix";
        // The store setting (nix.conf) is the default; NIX_REMOTE is that setting's own default.
        uri ??= StoreSetting(io) ?? io.GetEnv("NIX_REMOTE");
        if (string.IsNullOrEmpty(uri) || uri == "auto" || uri == "local")
        {
            if (CanWrite(stateDir) || uri == "local") return StoreLayout.Default(storeDir, stateDir, logDir);
            bool customised = io.GetEnv("NIX_STORE_DIR") is { Length: > 0 } || io.GetEnv("NIX_STATE_DIR") is { Length: > 0 };
            if (!Directory.Exists(stateDir) && !customised && Store.Local.StoreFiles.IsUnprivileged())
            {
                var data = io.GetEnv("XDG_DATA_HOME") is { Length: > 0 } x ? x : Path.Combine(io.GetEnv("HOME") ?? "/", ".local/share");
                var root = Path.Combine(data, "nix", "root");
                if (!Directory.Exists(root))
                {
                    Directory.CreateDirectory(root);
                    io.Err($"warning: '/nix' does not exist, so Nix will use '{root}' as a chroot store\n");
                }
                return StoreLayout.Chroot(root, storeDir, stateDir, logDir);
            }
            return StoreLayout.Default(storeDir, stateDir, logDir);
        }
        // As Nix: anything with a '/' and no "scheme://" is a directory (relative ones included).
        if (uri.Contains('/') && !uri.Contains("://", StringComparison.Ordinal) && !uri.StartsWith("local?", StringComparison.Ordinal))
            return StoreLayout.Chroot(Path.GetFullPath(uri, io.WorkingDirectory), storeDir, stateDir, logDir);
        if (uri.StartsWith("local?", StringComparison.Ordinal))
        {
            string? root = null;
            foreach (var kv in uri.Substring(6).Split('&'))
            {
                var eq = kv.IndexOf('=');
                var key = eq < 0 ? kv : kv[..eq];
                var value = eq < 0 ? "" : Uri.UnescapeDataString(kv[(eq + 1)..]);
                switch (key)
                {
                    case "root": root = value; break;
                    case "store": storeDir = value; break;
                    case "state": stateDir = value; break;
                    case "log": logDir = value; break;
                    default: throw new UsageException($"unknown store setting '{key}' in '{uri}'");
                }
            }
            return root is null ? StoreLayout.Default(storeDir, stateDir, logDir) : StoreLayout.Chroot(root, storeDir, stateDir, logDir);
        }
        throw new UsageException($"store '{uri}' is not supported yet: nixsharp opens local stores ('auto', 'local', a directory, 'local?root=DIR')");
    }

    private static string? StoreSetting(CliIo io)
    {
        string? store = null;
        io.Config.Apply(name => name == "store", (_, value) => store = value);
        return store;
    }

    private static bool CanWrite(string dir)
    {
        // Nix asks access(2) for read and write permission on the state directory.
        if (!Directory.Exists(dir)) return false;
        try
        {
            var probe = Path.Combine(dir, $".nixsharp-probe-{Environment.ProcessId}");
            using (File.Create(probe)) { }
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    public static LocalStore Open(string? uri, CliIo io)
    {
        var store = LocalStore.Open(Resolve(uri, io));
        store.Log = line => io.Err(line + "\n");
        return store;
    }
}
