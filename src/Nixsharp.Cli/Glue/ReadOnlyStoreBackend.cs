// The evaluator's store operations in read-only mode, as `nix-instantiate --eval` runs them:
// store paths are computed (NAR hash of sources, text hash of toFile) but nothing is written.
namespace Nixsharp.Cli.Glue;

using Nixsharp.Formats.Derivations;
using Nixsharp.Formats.StorePaths;
using Nixsharp.Language.Evaluation;

public sealed class ReadOnlyStoreBackend : IStoreBackend
{
    private readonly StorePathComputer _paths;
    private readonly Dictionary<string, Derivation> _derivations = new(StringComparer.Ordinal);

    public ReadOnlyStoreBackend(string storeDir)
    {
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
        if (filter is not null || !recursive)
            throw new HostError("filtered and flat path imports are not supported yet: they come with nixsharp's store layer");
        var osPath = ByteString.ToUtf16(path);
        string result;
        try
        {
            result = _paths.ComputeSourcePath(osPath, ByteString.ToUtf16(name), out _, out _);
        }
        catch (FormatException e)
        {
            throw new HostError(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HostError($"reading '{path}': {e.Message}");
        }
        // The evaluator remembers each source's store path, so nothing is cached here.
        return ByteString.FromUtf16(result);
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
