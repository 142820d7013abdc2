// The evaluator's window on the outside world. The language layer never touches files, the
// environment or a store directly; the CLI (and later the store glue) supplies an implementation.
namespace Nixsharp.Language.Evaluation;

using System.Text;
using Nixsharp.Formats.Nar;

public enum HostFileType { Regular, Directory, Symlink, Unknown, Missing }

public interface IEvalHost
{
    /// <summary>Kind of the file at a path (symlinks not followed).</summary>
    HostFileType GetFileType(string path);
    /// <summary>Kind of the file at a path, following symlinks.</summary>
    HostFileType GetFileTypeFollow(string path);
    /// <summary>File contents as a byte string.</summary>
    string ReadFile(string path);
    IReadOnlyList<(string Name, HostFileType Type)> ReadDirectory(string path);
    string? ReadLink(string path);
    string? GetEnv(string name);
    /// <summary>Writes to the log (trace output); one call per line without newline.</summary>
    void Log(string line);

    /// <summary>Store operations; the language layer alone cannot perform them.</summary>
    IStoreBackend? Store { get; }
}

/// <summary>What the evaluator needs from a store; implemented by the store layer.</summary>
public interface IStoreBackend
{
    string StoreDir { get; }
    Nixsharp.Formats.StorePaths.StorePathComputer Paths { get; }
    Nixsharp.Formats.Derivations.DerivationHasher Hasher { get; }
    /// <summary>Stores a complete derivation (or, read-only, just names it) and returns its path.</summary>
    string WriteDerivation(Nixsharp.Formats.Derivations.Derivation drv);
    /// <summary>Adds a file tree under a name and returns its store path (hashed with SHA-256).
    /// Recursive: the NAR of `path` (a symlink is not followed), leaving out every entry the filter
    /// refuses, with its subtree; the filter is asked about each entry below the root, by the path
    /// Nix gives it: the root as given, '/', then the names below it (so a root "d/" gives "d//x").
    /// Devices, fifos and sockets cannot be added ("file '…' has an unsupported type").
    /// Not recursive: the contents of the single file at `path` (symlinks followed), flat; no
    /// filter is used. Paths and name are byte strings; a name Nix does not allow is an error
    /// quoting the base name, hash included, as Nix's is.</summary>
    string AddPathToStore(string path, string name, bool recursive, Func<string, bool>? filter);
    /// <summary>Whether a store path (STOREDIR/HASH-NAME) is valid in this store: registered, or,
    /// for a store that writes nothing, already present.</summary>
    bool IsValidPath(string storePath);
    /// <summary>True when this store really writes (nix-instantiate without --eval); false in Nix's
    /// read-only mode, where paths are computed but nothing is checked against the store.</summary>
    bool WritesToStore { get; }
    string AddTextToStore(string name, string contents, IReadOnlyCollection<string> references);

    /// <summary>builtins.fetchurl and fetchTarball: downloads `url` into the store under `name`,
    /// flat, or (unpack) as the tree of the archive's single top-level entry. Writes to the store
    /// even in read-only mode, as Nix does. When `expectedPath` (the path the expected hash gives)
    /// is already valid in that store, nothing is fetched and it is returned with a null hash.
    /// Failures are HostErrors naming the URL.</summary>
    FetchedUrl FetchUrl(string url, string name, bool unpack, string? expectedPath);
    /// <summary>builtins.fetchGit: a revision (or the dirty working tree) of a git repository,
    /// copied into the store.</summary>
    FetchedGit FetchGit(GitFetchRequest request);
    /// <summary>Makes sure every store path a string context names is valid, building the
    /// derivation outputs it names (import from derivation) unless allowBuild is false.</summary>
    void RealiseContext(IReadOnlyCollection<string> contextElements, bool allowBuild);
    /// <summary>Where the files of a path in the store really are (elsewhere in a chroot store).</summary>
    string ToRealPath(string path);
}

/// <summary>What a URL fetch added: the store path and the SHA-256 Nix compares with the expected
/// hash (of the file's contents; of the NAR for an unpacked tree).</summary>
public sealed record FetchedUrl(string StorePath, byte[]? Sha256);

/// <summary>builtins.fetchGit's input: url (file:// for a local path), and what was given of the rest.</summary>
public sealed record GitFetchRequest(string Url, string? Ref, string? Rev, string Name, bool Submodules, bool Shallow, bool AllRefs);

/// <summary>A fetched git tree. Rev and RevCount are null for a dirty working tree (RevCount also
/// for a shallow fetch); LastModified is the commit time (Unix seconds).</summary>
public sealed record FetchedGit(string StorePath, string? Rev, long? RevCount, long LastModified, byte[] NarHash);

/// <summary>Byte strings (one char per byte) to and from .NET strings for OS calls.</summary>
public static class ByteString
{
    public static string ToUtf16(string bytes)
    {
        bool ascii = true;
        foreach (var c in bytes) if (c >= 0x80) { ascii = false; break; }
        return ascii ? bytes : Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(bytes));
    }

    public static string FromUtf16(string s)
    {
        bool ascii = true;
        foreach (var c in s) if (c >= 0x80) { ascii = false; break; }
        return ascii ? s : Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(s));
    }

    public static string FromBytes(ReadOnlySpan<byte> b) => Encoding.Latin1.GetString(b);
    public static byte[] ToBytes(string s) => Encoding.Latin1.GetBytes(s);
}

/// <summary>The real file system and process environment.</summary>
public sealed class LocalHost : IEvalHost
{
    private readonly Action<string> _log;
    private readonly Func<string, string?> _getEnv;

    public LocalHost(Action<string> log, Func<string, string?>? getEnv = null, IStoreBackend? store = null)
    {
        _log = log;
        _getEnv = getEnv ?? Environment.GetEnvironmentVariable;
        Store = store;
    }

    public IStoreBackend? Store { get; }

    /// <summary>True when a leading part of the path is an existing non-directory, which makes
    /// the whole path fail to resolve (ENOTDIR), although .NET would normalise "file/." to "file".</summary>
    private static bool ThroughNonDirectory(string path)
    {
        for (int i = path.IndexOf('/', 1); i > 0; i = path.IndexOf('/', i + 1))
        {
            var prefix = ByteString.ToUtf16(path.Substring(0, i));
            if (File.Exists(prefix)) return true;
            if (!Directory.Exists(prefix)) return false;
        }
        return false;
    }

    public HostFileType GetFileType(string path)
    {
        if (ThroughNonDirectory(path)) return HostFileType.Missing;
        try
        {
            var info = new FileInfo(ByteString.ToUtf16(path));
            if (info.LinkTarget is not null) return HostFileType.Symlink;
            if (info.Exists) return SpecialFiles.IsSpecial(info) ? HostFileType.Unknown : HostFileType.Regular;
            if (Directory.Exists(info.FullName)) return HostFileType.Directory;
            return HostFileType.Missing;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return HostFileType.Missing;
        }
    }

    public HostFileType GetFileTypeFollow(string path)
    {
        if (ThroughNonDirectory(path)) return HostFileType.Missing;
        var p = ByteString.ToUtf16(path);
        if (File.Exists(p)) return HostFileType.Regular;
        if (Directory.Exists(p)) return HostFileType.Directory;
        return HostFileType.Missing;
    }

    public string ReadFile(string path) => ByteString.FromBytes(File.ReadAllBytes(ByteString.ToUtf16(path)));

    public IReadOnlyList<(string Name, HostFileType Type)> ReadDirectory(string path)
    {
        var dir = new DirectoryInfo(ByteString.ToUtf16(path));
        var list = new List<(string, HostFileType)>();
        foreach (var e in dir.EnumerateFileSystemInfos())
        {
            HostFileType t = e.LinkTarget is not null ? HostFileType.Symlink
                : e is DirectoryInfo ? HostFileType.Directory
                : SpecialFiles.IsSpecial(e) ? HostFileType.Unknown
                : HostFileType.Regular;
            list.Add((ByteString.FromUtf16(e.Name), t));
        }
        return list;
    }

    public string? ReadLink(string path)
    {
        var info = new FileInfo(ByteString.ToUtf16(path));
        return info.LinkTarget is { } t ? ByteString.FromUtf16(t) : null;
    }

    public string? GetEnv(string name) => _getEnv(ByteString.ToUtf16(name)) is { } v
        ? ByteString.FromUtf16(v) : null;

    public void Log(string line) => _log(line);
}
