// A writing store backend whose store is opened when the evaluation first needs it, so that
// `nixsharp eval` of an expression that never touches the store opens (and creates) nothing.
namespace Nixsharp.Cli.Glue;

using Nixsharp.Formats.Derivations;
using Nixsharp.Formats.StorePaths;
using Nixsharp.Language.Evaluation;
using Nixsharp.Store.Local;

/// <summary>A store opened on first use and closed (if it was opened) when disposed.</summary>
public sealed class LazyStore : IDisposable
{
    private readonly Func<LocalStore> _open;
    private LocalStore? _store;

    public LazyStore(Func<LocalStore> open) { _open = open; }

    public LocalStore Value => _store ??= _open();

    public void Dispose() => _store?.Dispose();
}

public sealed class LazyStoreBackend : IStoreBackend
{
    private readonly LazyStore _store;
    private readonly Func<LocalStore, StoreEffects> _effects;
    private LocalStoreBackend? _backend;

    public LazyStoreBackend(LazyStore store, Func<LocalStore, StoreEffects> effects)
    {
        _store = store; _effects = effects;
    }

    private LocalStoreBackend Backend
    {
        get
        {
            if (_backend is not null) return _backend;
            try
            {
                var store = _store.Value;
                return _backend = new LocalStoreBackend(store, _effects(store));
            }
            catch (Exception e) when (e is StoreException or IOException or UnauthorizedAccessException
                                          or Nixsharp.Store.Database.StoreDatabaseException)
            {
                throw new HostError($"cannot open the store: {e.Message}");
            }
        }
    }

    public string StoreDir => Backend.StoreDir;
    public StorePathComputer Paths => Backend.Paths;
    public DerivationHasher Hasher => Backend.Hasher;
    public bool WritesToStore => true;
    public string WriteDerivation(Derivation drv) => Backend.WriteDerivation(drv);
    public string AddPathToStore(string path, string name, bool recursive, Func<string, bool>? filter) =>
        Backend.AddPathToStore(path, name, recursive, filter);
    public bool IsValidPath(string storePath) => Backend.IsValidPath(storePath);
    public string AddTextToStore(string name, string contents, IReadOnlyCollection<string> references) =>
        Backend.AddTextToStore(name, contents, references);
    public FetchedUrl FetchUrl(string url, string name, bool unpack, string? expectedPath) => Backend.FetchUrl(url, name, unpack, expectedPath);
    public FetchedGit FetchGit(GitFetchRequest request) => Backend.FetchGit(request);
    public void RealiseContext(IReadOnlyCollection<string> contextElements, bool allowBuild) =>
        Backend.RealiseContext(contextElements, allowBuild);
    public string ToRealPath(string path) => Backend.ToRealPath(path);
}
