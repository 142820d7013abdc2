// builtins.fetchurl and builtins.fetchTarball against a local store, as Nix 2.8 runs them: the
// download is added as a flat SHA-256 path under the given name; for a tarball it is then unpacked
// and its single top-level entry added (recursively) under the same name. Nix keeps a cache of
// downloads by URL for an hour (tarball-ttl); nixsharp fetches every time.
namespace Nixsharp.Store.Fetching;

using System.Security.Cryptography;
using Nixsharp.Store.Local;

/// <summary>A fetched store path and the SHA-256 Nix checks against the expected hash: of the
/// file's contents for a file, of the NAR for an unpacked tree.</summary>
public sealed record FetchedPath(string StorePath, byte[] Sha256);

public static class UrlFetcher
{
    public static FetchedPath FetchFile(LocalStore store, string url, string name, Action<string> warn)
    {
        var work = CreateWorkDir();
        try
        {
            var file = DownloadTo(work, url, warn);
            var storePath = store.AddToStore(name, file, recursive: false);
            byte[] hash;
            using (var f = File.OpenRead(file)) hash = SHA256.HashData(f);
            return new FetchedPath(storePath, hash);
        }
        finally { StoreFiles.DeleteTree(work); }
    }

    public static FetchedPath FetchTarball(LocalStore store, string url, string name, Action<string> warn)
    {
        var work = CreateWorkDir();
        try
        {
            var file = DownloadTo(work, url, warn);
            // The archive itself is kept in the store too, as Nix does.
            store.AddToStore(name, file, recursive: false);
            var top = ArchiveUnpacker.UnpackSingleTopLevel(file, work, url);
            var storePath = store.AddToStore(name, top, recursive: true);
            var info = store.QueryValidPathInfo(storePath);
            return new FetchedPath(storePath, Convert.FromHexString(info.NarHash.AsSpan("sha256:".Length)));
        }
        finally { StoreFiles.DeleteTree(work); }
    }

    private static string DownloadTo(string work, string url, Action<string> warn)
    {
        var file = Path.Combine(work, "download");
        using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.ReadWrite))
            Downloader.Download(url, output, new DownloadOptions { Warn = warn });
        return file;
    }

    /// <summary>A private temporary directory (TMPDIR, else /tmp).</summary>
    public static string CreateWorkDir() => Directory.CreateTempSubdirectory("nixsharp-fetch-").FullName;
}
