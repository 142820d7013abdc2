// The evaluator's store operations against a real local store, as nix-instantiate runs them when
// it instantiates: sources are copied in, toFile texts and .drv files are written, fetchers fetch
// and derivation outputs read during evaluation are built.
namespace Nixsharp.Cli.Glue;

using Nixsharp.Formats.Derivations;
using Nixsharp.Formats.StorePaths;
using Nixsharp.Language.Evaluation;
using Nixsharp.Store.Local;

public sealed class LocalStoreBackend : IStoreBackend
{
    private readonly LocalStore _store;
    private readonly StoreEffects? _effects;

    /// <param name="effects">Fetching and building; without it, fetchers and import from
    /// derivation fail with an error saying so.</param>
    public LocalStoreBackend(LocalStore store, StoreEffects? effects = null) { _store = store; _effects = effects; }

    public string StoreDir => _store.StoreDir;
    public StorePathComputer Paths => _store.Paths;
    public DerivationHasher Hasher => _store.Hasher;

    public string WriteDerivation(Derivation drv) => Guard(() => _store.AddDerivation(drv));

    public string AddPathToStore(string path, string name, bool recursive, Func<string, bool>? filter)
    {
        var osPath = ByteString.ToUtf16(path);
        return Guard(() => ByteString.FromUtf16(_store.AddToStore(ByteString.ToUtf16(name), osPath, recursive, "sha256",
            recursive ? ReadOnlyStoreBackend.SourceFilter(path, osPath, filter) : null)));
    }

    public bool WritesToStore => true;

    public bool IsValidPath(string storePath) => _store.IsValidPath(ByteString.ToUtf16(storePath));

    public string AddTextToStore(string name, string contents, IReadOnlyCollection<string> references) =>
        Guard(() => _store.AddTextToStore(ByteString.ToUtf16(name), ByteString.ToBytes(contents), references.Select(ByteString.ToUtf16).ToList()));

    private StoreEffects Effects => _effects ?? throw new HostError("this command cannot fetch or build during evaluation");

    public FetchedUrl FetchUrl(string url, string name, bool unpack, string? expectedPath) => Effects.FetchUrl(url, name, unpack, expectedPath);

    public FetchedGit FetchGit(GitFetchRequest request) => Effects.FetchGit(request);

    public void RealiseContext(IReadOnlyCollection<string> contextElements, bool allowBuild)
    {
        var outputs = NeededOutputs(contextElements, IsValidPath, allowBuild);
        if (outputs.Count > 0) Effects.Build(outputs.Select(o => (ByteString.ToUtf16(o.DrvPath), ByteString.ToUtf16(o.Output))).ToList());
    }

    public string ToRealPath(string path) => ByteString.FromUtf16(_store.ToRealPath(ByteString.ToUtf16(path)));

    /// <summary>Checks that every path a context names is valid, and returns the derivation
    /// outputs it names, which must be built (an error if building is not allowed). Nix's order:
    /// all validity first, then whether building is allowed, naming the first derivation.</summary>
    public static List<(string DrvPath, string Output)> NeededOutputs(IReadOnlyCollection<string> contextElements,
        Func<string, bool> isValid, bool allowBuild)
    {
        var outputs = new List<(string, string)>();
        foreach (var element in contextElements)
        {
            var e = ContextElement.Parse(element);
            if (!isValid(e.Path)) throw new HostError($"path '{e.Path}' is not valid");
            if (e.Kind == ContextElementKind.Output) outputs.Add((e.Path, e.Output));
        }
        if (outputs.Count > 0 && !allowBuild)
            throw new HostError($"cannot build '{outputs[0].Item1}' during evaluation because the option 'allow-import-from-derivation' is disabled");
        return outputs;
    }

    /// <summary>Store failures become evaluation errors with the store's message.</summary>
    private static string Guard(Func<string> op)
    {
        try { return op(); }
        catch (Exception e) when (e is StoreException or FormatException or IOException or UnauthorizedAccessException
                                      or Nixsharp.Store.Database.StoreDatabaseException)
        {
            throw new HostError(e.Message);
        }
    }
}
