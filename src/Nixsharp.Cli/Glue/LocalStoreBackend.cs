// The evaluator's store operations against a real local store, as nix-instantiate runs them when
// it instantiates: sources are copied in, toFile texts and .drv files are written.
namespace Nixsharp.Cli.Glue;

using Nixsharp.Formats.Derivations;
using Nixsharp.Formats.StorePaths;
using Nixsharp.Language.Evaluation;
using Nixsharp.Store.Local;

public sealed class LocalStoreBackend : IStoreBackend
{
    private readonly LocalStore _store;

    public LocalStoreBackend(LocalStore store) { _store = store; }

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
