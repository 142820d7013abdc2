// A binary cache in a directory, laid out as Nix 2.8's `nix copy --to file:///dir` lays it out:
//   nix-cache-info            which store directory the paths belong to
//   <hash part>.narinfo       one per path: where its NAR is, hashes, references, signatures
//   nar/<file hash>.nar.xz    the NARs, named by the hash of the (compressed) file
// Writers put the NAR in place before the narinfo, each by an atomic rename, so a reader never
// sees a narinfo whose NAR is missing or partial. Everything streams: memory stays flat.
namespace Nixsharp.Remote.BinaryCaches;

using System.Security.Cryptography;
using System.Text;
using Nixsharp.Formats.BinaryCache;
using Nixsharp.Formats.Compression;
using Nixsharp.Formats.Hashes;
using Nixsharp.Formats.Nar;
using Nixsharp.Formats.Signing;
using Nixsharp.Formats.StorePaths;
using Nixsharp.Store.Local;

public sealed class FileBinaryCache : IBinaryCacheReader
{
    public const string CacheInfoFile = "nix-cache-info";

    public string Directory { get; }
    public string StoreDir { get; }
    /// <summary>What its nix-cache-info says (priority, whether to mass-query).</summary>
    public NixCacheInfo Info { get; }
    /// <summary>How the cache is named in messages ("file:///dir").</summary>
    public string Display => "file://" + Directory;

    private FileBinaryCache(string directory, string storeDir, NixCacheInfo info)
    {
        Directory = directory;
        StoreDir = storeDir;
        Info = info;
    }

    /// <summary>Opens the cache in `directory` for a store whose paths are in `storeDir`. With
    /// `create`, a missing cache is made (directory, nar/, nix-cache-info); without, it must exist.
    /// A cache for another store directory is refused either way.</summary>
    public static FileBinaryCache Open(string directory, string storeDir, bool create)
    {
        var display = "file://" + directory;
        var infoPath = Path.Combine(directory, CacheInfoFile);
        NixCacheInfo info;
        try
        {
            if (!File.Exists(infoPath))
            {
                if (!create)
                {
                    throw new BinaryCacheException(System.IO.Directory.Exists(directory)
                        ? $"'{display}' is not a binary cache: it has no {CacheInfoFile}"
                        : $"binary cache '{display}' does not exist") { NotABinaryCache = true };
                }
                // nar/ for the NARs; log/ and realisations/ as Nix makes them (build logs, content-
                // addressed derivations' outputs), so the layout is Nix's.
                foreach (var sub in new[] { "nar", "log", "realisations" })
                    System.IO.Directory.CreateDirectory(Path.Combine(directory, sub));
                WriteAtomically(infoPath, Encoding.UTF8.GetBytes(new NixCacheInfo { StoreDir = storeDir }.Print()));
            }
            else if (create) System.IO.Directory.CreateDirectory(Path.Combine(directory, "nar"));
            try { info = NixCacheInfo.Parse(File.ReadAllText(infoPath), display + "/" + CacheInfoFile); }
            catch (FormatException e) { throw new BinaryCacheException(e.Message); }
            if (info.StoreDir != storeDir)
                throw new BinaryCacheException($"binary cache '{display}' is for Nix stores with prefix '{info.StoreDir}', not '{storeDir}'");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BinaryCacheException($"cannot open binary cache '{display}': {e.Message}");
        }
        return new FileBinaryCache(directory, storeDir, info);
    }

    private string NarInfoFile(string storePath) => Path.Combine(Directory, NarInfo.HashPartOf(storePath) + ".narinfo");

    /// <summary>Whether the cache has a narinfo for the path (as Nix asks before uploading).</summary>
    public bool HasPath(string storePath) => File.Exists(NarInfoFile(storePath));

    /// <summary>The path's narinfo, or null when the cache does not have it. A narinfo that cannot
    /// be read, or that describes another path, is an error.</summary>
    public NarInfo? QueryNarInfo(string storePath)
    {
        var file = NarInfoFile(storePath);
        var whence = Display + "/" + Path.GetFileName(file);
        string text;
        try
        {
            if (!File.Exists(file)) return null;
            text = File.ReadAllText(file, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BinaryCacheException($"cannot read '{whence}': {e.Message}");
        }
        NarInfo info;
        try { info = NarInfo.Parse(text, StoreDir, whence); }
        catch (FormatException e) { throw new BinaryCacheException(e.Message); }
        if (info.StorePath != storePath)
            throw new BinaryCacheException($"NAR info file '{whence}' is for path '{info.StorePath}', not '{storePath}'");
        return info;
    }

    /// <summary>Streams the path's NAR, decompressed, to `consume`; then checks that nothing follows
    /// the NAR and that the file's size and hash are the narinfo's. (The NAR's own hash and size
    /// are checked by whoever reads it: the store, against the narinfo.)</summary>
    public void ReadNar(NarInfo info, Action<Stream> consume)
    {
        var file = Path.Combine(Directory, CheckNarUrl(info, Display));
        FileStream raw;
        try { raw = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BinaryCacheException($"cannot read the NAR of '{info.StorePath}' from '{Display}/{info.Url}': {e.Message}");
        }
        ReadNarFile(raw, info, Display, consume);
    }

    /// <summary>A narinfo's URL, which must name a file inside the cache: a cache cannot make a
    /// client read files (or fetch URLs) elsewhere.</summary>
    public static string CheckNarUrl(NarInfo info, string display)
    {
        var url = info.Url;
        if (url.StartsWith('/') || url.Contains("://", StringComparison.Ordinal) || url.Contains('?') || url.Contains('#')
            || url.Split('/').Any(s => s is "" or "." or ".."))
            throw new BinaryCacheException($"the NAR of '{info.StorePath}' is at '{url}', which is not a file inside binary cache '{display}'");
        return url;
    }

    /// <summary>Reads a NAR file (`raw`, which this disposes) of the cache shown as `display`:
    /// decompresses it into `consume`, then checks that nothing follows the NAR and that the
    /// file's size and hash are the narinfo's.</summary>
    public static void ReadNarFile(Stream raw, NarInfo info, string display, Action<Stream> consume)
    {
        using var fileHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var counted = new HashingReadStream(raw, fileHash, ownsInner: true);
        Stream nar;
        try { nar = CompressionMethods.OpenDecompressor(info.Compression, counted); }
        catch (Exception e) when (e is NotSupportedException or CompressionException)
        {
            raw.Dispose();
            throw new BinaryCacheException($"cannot read the NAR of '{info.StorePath}' from '{display}': {e.Message}");
        }
        using (nar)
        {
            try
            {
                consume(nar);
                if (nar.ReadByte() >= 0)
                    throw new BinaryCacheException($"the NAR of '{info.StorePath}' in '{display}/{info.Url}' has data after its end");
                counted.CopyTo(Stream.Null);
            }
            catch (CompressionException e)
            {
                throw new BinaryCacheException($"cannot decompress '{display}/{info.Url}' ({info.Compression}) for '{info.StorePath}': {e.Message}");
            }
            if (info.FileSize != 0 && counted.BytesRead != info.FileSize)
                throw new BinaryCacheException($"file '{display}/{info.Url}' of '{info.StorePath}' has {counted.BytesRead} bytes; its narinfo says {info.FileSize}");
            if (info.FileHash is { } expected)
            {
                var actual = expected.Type == HashType.Sha256 ? new Hash(HashType.Sha256, fileHash.GetHashAndReset()) : null;
                if (actual is not null && !actual.Equals(expected))
                    throw new BinaryCacheException($"hash mismatch in file '{display}/{info.Url}' of '{info.StorePath}';\n  specified: {expected.ToString(HashFormat.Base32, true)}\n  got:       {actual.ToString(HashFormat.Base32, true)}");
            }
        }
    }

    /// <summary>What a writer knows of a path it adds (the store's record of it).</summary>
    public sealed record PathToAdd
    {
        public required string StorePath { get; init; }
        public required Hash NarHash { get; init; }
        public required long NarSize { get; init; }
        public IReadOnlyCollection<string> References { get; init; } = [];
        public string? Deriver { get; init; }
        public IReadOnlyCollection<string> Signatures { get; init; } = [];
        public string? ContentAddress { get; init; }
    }

    /// <summary>Adds a path: its NAR (written by `dumpNar`) compressed into nar/, then its narinfo,
    /// signed with `key` when given. The NAR written must have the hash and size the path's record
    /// claims, or nothing is added. Returns the narinfo written.</summary>
    public NarInfo AddPath(PathToAdd path, Action<Stream> dumpNar, string compression, SecretKey? key, int compressionLevel = -1)
    {
        var narDir = Path.Combine(Directory, "nar");
        var temp = Path.Combine(narDir, $".tmp-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
        try
        {
            using var fileHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var narHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long fileSize, narSize;
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var fileTee = new HashingStream(fileHash, file);
                var narTee = new HashingStream(narHash);
                using (var compressor = CompressionMethods.OpenCompressor(compression, fileTee, compressionLevel, path.NarSize))
                {
                    // The tree is read and its NAR hashed on another thread while this one
                    // compresses and writes, so the two halves overlap on two cores.
                    using var nar = new ProducerStream(produced =>
                    {
                        narTee.Inner = produced;
                        dumpNar(narTee);
                    });
                    nar.CopyTo(compressor, 1 << 16);
                }
                file.Flush(flushToDisk: true);
                fileSize = fileTee.Length64;
                narSize = narTee.Length64;
            }
            var actualNarHash = new Hash(HashType.Sha256, narHash.GetHashAndReset());
            if (!actualNarHash.Equals(path.NarHash) || narSize != path.NarSize)
                throw new BinaryCacheException($"path '{path.StorePath}' has changed: its NAR has hash {actualNarHash.ToString(HashFormat.Base32, true)} " +
                    $"and size {narSize}, but the store recorded {path.NarHash.ToString(HashFormat.Base32, true)} and {path.NarSize}");
            var fh = new Hash(HashType.Sha256, fileHash.GetHashAndReset());
            var url = "nar/" + fh.ToString(HashFormat.Base32, false) + ".nar" + CompressionMethods.Extension(compression);
            // Same name, same bytes: a NAR already there (another path's, or an earlier try's) is kept.
            // (Another writer may put the same bytes there meanwhile: replacing them is harmless.)
            if (File.Exists(Path.Combine(Directory, url))) File.Delete(temp);
            else File.Move(temp, Path.Combine(Directory, url), overwrite: true);

            var info = new NarInfo
            {
                StorePath = path.StorePath, Url = url, Compression = compression, FileHash = fh, FileSize = fileSize,
                NarHash = path.NarHash, NarSize = path.NarSize,
                References = path.References.Order(StringComparer.Ordinal).ToList(),
                Deriver = path.Deriver, ContentAddress = path.ContentAddress,
            };
            var signatures = new SortedSet<string>(path.Signatures, StringComparer.Ordinal);
            if (key is not null) signatures.Add(key.Sign(info.Fingerprint));
            info = info with { Signatures = signatures.ToList() };
            WriteAtomically(NarInfoFile(path.StorePath), Encoding.UTF8.GetBytes(info.Print()));
            return info;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BinaryCacheException($"cannot write '{path.StorePath}' to binary cache '{Display}': {e.Message}");
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Writes a whole file under a temporary name and renames it into place.</summary>
    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $".tmp-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
        try
        {
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
