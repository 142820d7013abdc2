// What evaluation may do to a real store besides copying sources: fetch (fetchurl, fetchTarball,
// fetchGit) and build derivation outputs it reads (import from derivation). Shared by the writing
// backend and the read-only one (which fetches into the store as Nix's read-only mode does).
namespace Nixsharp.Cli.Glue;

using Nixsharp.Builder;
using Nixsharp.Builder.Scheduling;
using Nixsharp.Language.Evaluation;
using Nixsharp.Store.Fetching;
using Nixsharp.Store.Local;

public sealed class StoreEffects
{
    public LocalStore Store { get; }
    private readonly Func<LocalStore, BuildSettings> _settings;
    private readonly IBuildLog _log;
    private readonly Func<string, string?> _getEnv;
    private readonly Func<LocalStore, IBuildLog, Nixsharp.Store.Substitution.SubstituterSet?> _substituters;

    public StoreEffects(LocalStore store, Func<LocalStore, BuildSettings> settings, IBuildLog log, Func<string, string?> getEnv,
        Func<LocalStore, IBuildLog, Nixsharp.Store.Substitution.SubstituterSet?> substituters)
    {
        Store = store; _settings = settings; _log = log; _getEnv = getEnv; _substituters = substituters;
    }

    public FetchedUrl FetchUrl(string url, string name, bool unpack, string? expectedPath) => Guard(() =>
    {
        if (expectedPath is not null && Store.IsValidPath(ByteString.ToUtf16(expectedPath))) return new FetchedUrl(expectedPath, null);
        var osUrl = ByteString.ToUtf16(url);
        var osName = ByteString.ToUtf16(name);
        var fetched = unpack
            ? UrlFetcher.FetchTarball(Store, osUrl, osName, Warn)
            : UrlFetcher.FetchFile(Store, osUrl, osName, Warn);
        return new FetchedUrl(ByteString.FromUtf16(fetched.StorePath), fetched.Sha256);
    });

    public FetchedGit FetchGit(GitFetchRequest r) => Guard(() =>
    {
        var fetcher = new GitFetcher(Store, Warn, text => _log.Info(text.TrimEnd('\n')), CacheDir());
        var o = fetcher.Fetch(new GitInput(ByteString.ToUtf16(r.Url), r.Ref is null ? null : ByteString.ToUtf16(r.Ref), r.Rev,
            ByteString.ToUtf16(r.Name), r.Submodules, r.Shallow, r.AllRefs));
        return new FetchedGit(ByteString.FromUtf16(o.StorePath), o.Rev, o.RevCount, o.LastModified, o.NarHash);
    });

    /// <summary>Builds the given outputs (nothing happens for those already valid), as nix-build
    /// would, printing what it builds.</summary>
    public void Build(IReadOnlyList<(string DrvPath, string Output)> outputs)
    {
        var requests = outputs.Select(o => BuildRequest.Output(o.DrvPath, o.Output)).ToList();
        try
        {
            new Realiser(Store, _settings(Store), _log, _getEnv, _substituters(Store, _log)).Realise(requests);
        }
        catch (RealiseException e)
        {
            throw new HostError(e.Message) { ExitStatus = e.ExitStatus };
        }
    }

    private void Warn(string message) => _log.Info("warning: " + message);

    /// <summary>Where fetched git repositories are kept: $XDG_CACHE_HOME/nixsharp (else ~/.cache/nixsharp).</summary>
    private string CacheDir()
    {
        var cache = _getEnv("XDG_CACHE_HOME") is { Length: > 0 } x ? x
            : Path.Combine(_getEnv("HOME") is { Length: > 0 } h ? h : Path.GetTempPath(), ".cache");
        return Path.Combine(cache, "nixsharp");
    }

    private static T Guard<T>(Func<T> op)
    {
        try { return op(); }
        catch (Exception e) when (e is FetchException or StoreException or IOException or UnauthorizedAccessException
                                      or Nixsharp.Store.Database.StoreDatabaseException)
        {
            throw new HostError(e.Message);
        }
    }
}
