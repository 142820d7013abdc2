// The evaluator's store operations in read-only mode, as `nix-instantiate --eval` runs them:
// store paths are computed (NAR or flat hash of sources, filtered or not; text hash of toFile)
// but nothing is written, and nothing is built. Fetchers are the exception, as in Nix: they open
// the store (on first use) and add what they fetch.
namespace Nixsharp.Cli.Glue;

using System.Security.Cryptography;
using Nixsharp.Formats.Derivations;
using Nixsharp.Formats.Nar;
using Nixsharp.Formats.StorePaths;
using Nixsharp.Language.Evaluation;

public sealed class ReadOnlyStoreBackend : IStoreBackend
{
    private readonly StorePathComputer _paths;
    private readonly Dictionary<string, Derivation> _derivations = new(StringComparer.Ordinal);

    private readonly Func<StoreEffects>? _openStore;
    private StoreEffects? _opened;

    /// <param name="openStore">Opens the store for fetchers; without it they fail.</param>
    public ReadOnlyStoreBackend(string storeDir, Func<StoreEffects>? openStore = null)
    {
        _openStore = openStore;
        _paths = new StorePathComputer(storeDir);
        Hasher = new DerivationHasher(_paths, p => _derivations.GetValueOrDefault(ByteString.FromUtf16(p)));
    }

    public string StoreDir => _paths.StoreDir;
    public StorePathComputer Paths => _paths;
    public DerivationHasher Hasher { get; }

    public string WriteDerivation(Derivation drv)
    {
        var path = Hasher.DrvPath(drv);
        _derivations[path] = drv;
        Hasher.Remember(path, drv);
        return path;
    }

    public string AddPathToStore(string path, string name, bool recursive, Func<string, bool>? filter)
    {
        var osPath = ByteString.ToUtf16(path);
        byte[] hash;
        try
        {
            hash = recursive ? HashTree(path, osPath, filter) : HashFile(path, osPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HostError($"reading '{path}': {e.Message}");
        }
        // The name is checked once the path is known, as Nix does: its message quotes the hash.
        // The evaluator remembers each source's store path, so nothing is cached here.
        var result = ByteString.FromUtf16(_paths.MakeFixedOutputPath(recursive, "sha256", hash, ByteString.ToUtf16(name)));
        var baseName = result[(ByteString.FromUtf16(StoreDir).Length + 1)..];
        if (StorePathComputer.NameError(baseName) is { } error) throw new HostError(error);
        return result;
    }

    /// <summary>SHA-256 of the NAR of the tree at `path`, as filtered.</summary>
    private static byte[] HashTree(string path, string osPath, Func<string, bool>? filter)
    {
        var root = new FileInfo(osPath);
        if (root.LinkTarget is null && !root.Exists && !Directory.Exists(osPath))
            throw new HostError($"getting status of '{path}': {MissingReason(osPath)}");
        if (SpecialFiles.IsSpecial(root)) throw new HostError($"file '{path}' has an unsupported type");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sink = new HashingStream(hash);
        NarWriter.Dump(osPath, sink, SourceFilter(path, osPath, filter));
        return hash.GetHashAndReset();
    }

    /// <summary>The NAR writer's entry filter for a source copy: it asks the evaluator's filter
    /// with the path as Nix builds it, and refuses special files (devices, fifos, sockets).</summary>
    public static Func<string, bool> SourceFilter(string path, string osPath, Func<string, bool>? filter)
    {
        // The NAR writer names entries by joining with Path.Combine, which adds no '/' after a root
        // that ends in one; Nix always adds it, and filters see Nix's form.
        var separator = osPath.EndsWith('/') ? "/" : "";
        return entry =>
        {
            var nixPath = path + separator + ByteString.FromUtf16(entry.Substring(osPath.Length));
            if (filter is not null && !filter(nixPath)) return false;
            if (SpecialFiles.IsSpecial(new FileInfo(entry))) throw new HostError($"file '{nixPath}' has an unsupported type");
            return true;
        };
    }

    /// <summary>SHA-256 of the contents of the file at `path` (followed if a symlink).</summary>
    private static byte[] HashFile(string path, string osPath)
    {
        if (Directory.Exists(osPath)) throw new HostError("reading from file: Is a directory");
        if (!File.Exists(osPath)) throw new HostError($"opening file '{path}': {MissingReason(osPath)}");
        using var file = new FileStream(osPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        return SHA256.HashData(file);
    }

    /// <summary>The errno text for a path that does not resolve: ENOTDIR when a leading part is a
    /// file, else ENOENT.</summary>
    private static string MissingReason(string osPath)
    {
        for (int i = osPath.IndexOf('/', 1); i > 0; i = osPath.IndexOf('/', i + 1))
        {
            var prefix = osPath.Substring(0, i);
            if (File.Exists(prefix)) return "Not a directory";
            if (!Directory.Exists(prefix)) break;
        }
        return "No such file or directory";
    }

    public bool WritesToStore => false;

    private StoreEffects Opened => _opened ??= _openStore?.Invoke()
        ?? throw new HostError("this command cannot fetch during evaluation");

    public FetchedUrl FetchUrl(string url, string name, bool unpack, string? expectedPath) => Opened.FetchUrl(url, name, unpack, expectedPath);

    public FetchedGit FetchGit(GitFetchRequest request) => Opened.FetchGit(request);

    public void RealiseContext(IReadOnlyCollection<string> contextElements, bool allowBuild)
    {
        // Nothing is built in read-only mode: outputs that are not there cannot be made.
        foreach (var (drvPath, output) in LocalStoreBackend.NeededOutputs(contextElements, IsValidPath, allowBuild))
        {
            Derivation drv;
            var osDrvPath = ByteString.ToUtf16(drvPath);
            var name = osDrvPath.Substring(osDrvPath.LastIndexOf('/') + 34);
            if (name.EndsWith(".drv", StringComparison.Ordinal)) name = name[..^4];
            try { drv = DerivationParser.Parse(File.ReadAllBytes(ByteString.ToUtf16(ToRealPath(drvPath))), name, _paths.StoreDir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                throw new HostError($"path '{drvPath}' is not valid");
            }
            if (!drv.Outputs.TryGetValue(ByteString.ToUtf16(output), out var o) || o.Path.Length == 0)
                throw new HostError($"derivation '{drvPath}' does not have an output named '{output}'");
            var outPath = ByteString.FromUtf16(o.Path);
            if (!IsValidPath(outPath))
                throw new HostError($"cannot substitute path '{outPath}' - no write access to the Nix store");
        }
    }

    public string ToRealPath(string path) =>
        _opened is null ? path : ByteString.FromUtf16(_opened.Store.ToRealPath(ByteString.ToUtf16(path)));

    public bool IsValidPath(string storePath)
    {
        // What fetchers added to an opened store is known to it (its files may be elsewhere: a chroot store).
        if (_opened is not null && _opened.Store.IsValidPath(ByteString.ToUtf16(storePath))) return true;
        // Read-only evaluation writes nothing and does not read Nix's database: what is in the
        // store directory is taken to be valid, which it is in a store Nix keeps.
        var osPath = ByteString.ToUtf16(storePath);
        var info = new FileInfo(osPath);
        return info.Exists || info.LinkTarget is not null || Directory.Exists(osPath);
    }

    public string AddTextToStore(string name, string contents, IReadOnlyCollection<string> references)
    {
        try
        {
            return ByteString.FromUtf16(_paths.ComputeTextPath(ByteString.ToUtf16(name), ByteString.ToBytes(contents),
                references.Select(ByteString.ToUtf16)));
        }
        catch (FormatException e)
        {
            throw new HostError(e.Message);
        }
    }
}
