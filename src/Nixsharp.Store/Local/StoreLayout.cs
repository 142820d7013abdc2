// Where a local store keeps things. The logical store directory (what store paths say, normally
// /nix/store) and the real one on disk differ for a chroot store, which writes under a root
// directory but keeps the logical paths, so that its contents can later be copied to /nix/store.
namespace Nixsharp.Store.Local;

public sealed class StoreLayout
{
    /// <summary>The store directory that store paths name (e.g. /nix/store).</summary>
    public string StoreDir { get; }
    /// <summary>Where the store directory really is on disk.</summary>
    public string RealStoreDir { get; }
    /// <summary>Nix's state directory (database, GC roots, profiles, temporary roots).</summary>
    public string StateDir { get; }
    public string LogDir { get; }

    public StoreLayout(string storeDir, string realStoreDir, string stateDir, string logDir)
    {
        StoreDir = storeDir.TrimEnd('/');
        RealStoreDir = realStoreDir.TrimEnd('/');
        StateDir = stateDir.TrimEnd('/');
        LogDir = logDir.TrimEnd('/');
    }

    /// <summary>The usual layout: /nix/store with state under /nix/var/nix.</summary>
    public static StoreLayout Default(string storeDir = "/nix/store", string stateDir = "/nix/var/nix", string logDir = "/nix/var/log/nix") =>
        new(storeDir, storeDir, stateDir, logDir);

    /// <summary>A chroot store: the logical paths stay, everything is written under root.</summary>
    public static StoreLayout Chroot(string root, string storeDir = "/nix/store", string stateDir = "/nix/var/nix", string logDir = "/nix/var/log/nix")
    {
        root = Path.GetFullPath(root).TrimEnd('/');
        return new(storeDir, root + storeDir, root + stateDir, root + logDir);
    }

    public string DbDir => StateDir + "/db";
    public string DbFile => DbDir + "/db.sqlite";
    public string SchemaFile => DbDir + "/schema";
    public string BigLockFile => DbDir + "/big-lock";
    public string ReservedFile => DbDir + "/reserved";
    public string TempRootsDir => StateDir + "/temproots";
    public string GcRootsDir => StateDir + "/gcroots";
    public string ProfilesDir => StateDir + "/profiles";
    public string GcLockFile => StateDir + "/gc.lock";

    /// <summary>The on-disk location of a logical store path (or anything below it).</summary>
    public string ToReal(string storePath) =>
        RealStoreDir == StoreDir || !storePath.StartsWith(StoreDir + "/", StringComparison.Ordinal)
            ? storePath
            : RealStoreDir + storePath.Substring(StoreDir.Length);
}
