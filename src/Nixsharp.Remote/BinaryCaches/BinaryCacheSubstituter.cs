// A binary cache (file:// or http(s)://) used as a substituter. It is opened on first use: its
// nix-cache-info must be for this store's directory and gives its priority. What it has is read
// from narinfos, each checked against trusted-public-keys (unless require-sigs is off or the URL
// says ?trusted=1); a path is fetched through the store's checked import, so it is registered only
// once its NAR hash and size are right. A file:// cache that does not exist is simply empty
// (Nix would create it); other failures to open make the substituter unavailable for the run.
namespace Nixsharp.Remote.BinaryCaches;

using System.Globalization;
using Nixsharp.Formats.BinaryCache;
using Nixsharp.Formats.Signing;
using Nixsharp.Store.Database;
using Nixsharp.Store.Local;
using Nixsharp.Store.Substitution;

public sealed class BinaryCacheSubstituter : ISubstituter, IDisposable
{
    /// <summary>Nix's priority for a cache whose nix-cache-info gives none.</summary>
    public const int DefaultPriority = 50;

    private readonly string _baseUrl;
    private readonly LocalStore _store;
    private readonly string _storeDir;
    private readonly TrustedKeys _trustedKeys;
    private readonly bool _requireSigs;
    private readonly bool _trustedUrl;
    private readonly int? _priorityInUrl;
    private readonly TimeSpan _connectTimeout;
    private readonly Dictionary<string, NarInfo> _narInfos = new(StringComparer.Ordinal);
    private IBinaryCacheReader? _cache;
    private bool _opened;
    private int _priority = DefaultPriority;

    public string Url => _baseUrl;

    /// <param name="url">file:///DIR or http(s)://HOST/PATH, optionally with ?priority=N and ?trusted=1
    /// (as Nix takes them in substituter URLs).</param>
    /// <param name="store">The store it substitutes into (its store directory must be the cache's).</param>
    public BinaryCacheSubstituter(string url, LocalStore store, TrustedKeys trustedKeys, bool requireSigs, TimeSpan? connectTimeout = null)
    {
        _store = store;
        _storeDir = store.StoreDir;
        _trustedKeys = trustedKeys;
        _requireSigs = requireSigs;
        _connectTimeout = connectTimeout ?? TimeSpan.FromSeconds(10);
        int q = url.IndexOf('?');
        _baseUrl = (q < 0 ? url : url[..q]).TrimEnd('/');
        if (_baseUrl.EndsWith(':') || _baseUrl.EndsWith("//", StringComparison.Ordinal)) _baseUrl += "/";
        if (q < 0) return;
        foreach (var pair in url[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (key)
            {
                case "priority" when int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var p):
                    _priorityInUrl = p;
                    break;
                case "trusted": _trustedUrl = value is "1" or "true"; break;
                default: break; // settings for writing a cache (compression, secret-key, ...) do not matter here
            }
        }
    }

    /// <summary>Whether `url` names a binary cache this can substitute from.</summary>
    public static bool Supports(string url) => FileCacheUrl.IsFileUrl(url) || HttpBinaryCache.IsHttpUrl(url);

    public int Priority
    {
        get
        {
            Open();
            return _priority;
        }
    }

    private void Open()
    {
        if (_opened) return;
        _opened = true;
        try
        {
            if (FileCacheUrl.IsFileUrl(_baseUrl))
            {
                var dir = FileCacheUrl.Parse(_baseUrl).Directory;
                if (!File.Exists(Path.Combine(dir, FileBinaryCache.CacheInfoFile))) return; // empty
                var cache = FileBinaryCache.Open(dir, _storeDir, create: false);
                _cache = cache;
                _priority = cache.Info.Priority ?? DefaultPriority;
            }
            else if (HttpBinaryCache.IsHttpUrl(_baseUrl))
            {
                var cache = HttpBinaryCache.Open(_baseUrl, _storeDir, _connectTimeout);
                _cache = cache;
                _priority = cache.Info.Priority ?? DefaultPriority;
            }
            else throw new SubstituterUnavailableException($"don't know how to open Nix store '{_baseUrl}'");
        }
        catch (BinaryCacheException e)
        {
            throw new SubstituterUnavailableException(e.NotABinaryCache ? $"'{_baseUrl}' does not appear to be a binary cache" : e.Message);
        }
        finally
        {
            if (_priorityInUrl is { } p) _priority = p;
        }
    }

    public IReadOnlyDictionary<string, SubstitutablePath> Query(IReadOnlyCollection<string> paths)
    {
        Open();
        var found = new Dictionary<string, SubstitutablePath>(StringComparer.Ordinal);
        if (_cache is null) return found;
        foreach (var path in paths)
        {
            NarInfo? info;
            try { info = _cache.QueryNarInfo(path); }
            catch (BinaryCacheException e) { throw new SubstituterUnavailableException(e.Message); }
            if (info is null) continue;
            _narInfos[path] = info;
            found[path] = new SubstitutablePath
            {
                Path = path,
                References = info.References,
                Deriver = info.Deriver,
                NarSize = info.NarSize,
                DownloadSize = info.FileSize,
                Trusted = IsTrusted(info),
            };
        }
        return found;
    }

    private bool IsTrusted(NarInfo info) =>
        _trustedUrl || !_requireSigs
        || _trustedKeys.AnyValid(info.Fingerprint, info.Signatures)
        // A content-addressed path proves its contents (the store checks them when adding it).
        || (info.ContentAddress is { } ca && _store.ContentAddressGives(ca, info.StorePath, info.References));

    public void Fetch(SubstitutablePath path, LocalStore store) =>
        FetchChecked(path, store, info => store.AddFromNars([BinaryCacheCopy.ToValidPathInfo(info)], (_, restore) => _cache!.ReadNar(info, restore)));

    public void FetchForRepair(SubstitutablePath path, LocalStore store) =>
        FetchChecked(path, store, info =>
        {
            // A copy of other contents (a rebuild that came out different) cannot repair this path.
            var recorded = store.QueryPathInfo(path.Path)?.NarHash;
            var offered = BinaryCacheCopy.ToValidPathInfo(info).NarHash;
            if (recorded is not null && !string.Equals(recorded, offered, StringComparison.Ordinal))
                throw new SubstitutionException($"the substitute for '{path.Path}' from '{_baseUrl}' has NAR hash " +
                    $"'{ValidPathInfo.ShowNarHash(offered)}', not the '{ValidPathInfo.ShowNarHash(recorded)}' the store records");
            store.RepairFromNar(path.Path, restore => _cache!.ReadNar(info, restore));
        });

    private void FetchChecked(SubstitutablePath path, LocalStore store, Action<NarInfo> copy)
    {
        if (store != _store) throw new ArgumentException("a substituter fetches into the store it was made for", nameof(store));
        if (_cache is null || !_narInfos.TryGetValue(path.Path, out var info))
            throw new SubstitutionException($"path '{path.Path}' was not found in binary cache '{_baseUrl}'");
        if (!IsTrusted(info))
            throw new SubstitutionException($"cannot add path '{path.Path}' because it lacks a valid signature");
        try
        {
            copy(info);
        }
        catch (Exception e) when (e is BinaryCacheException or StoreException or StoreDatabaseException or IOException or UnauthorizedAccessException)
        {
            throw new SubstitutionException(e.Message);
        }
    }

    public void Dispose() => (_cache as IDisposable)?.Dispose();
}
