// The substituters of a `build` or `store realise` run, from the substituters settings: each URL
// a binary cache (file:// or http(s)://) with the trusted keys and require-sigs applied. Warnings
// (a cache that cannot be used, a URL nixsharp cannot substitute from) go to the build log.
namespace Nixsharp.Cli.Commands.Build;

using Nixsharp.Builder;
using Nixsharp.Formats.Signing;
using Nixsharp.Remote.BinaryCaches;
using Nixsharp.Store.Local;
using Nixsharp.Store.Substitution;

public sealed class SubstituterSetup : IDisposable
{
    private readonly List<BinaryCacheSubstituter> _opened = new();

    /// <summary>The set to realise with; null when substitution is off or there are no substituters.</summary>
    public SubstituterSet? Set { get; }

    public SubstituterSetup(BuildFlags flags, LocalStore store, IBuildLog log)
    {
        if (!flags.Substitute) return;
        var urls = flags.Substituters.Concat(flags.ExtraSubstituters).Distinct(StringComparer.Ordinal).ToList();
        if (urls.Count == 0) return;
        var trusted = TrustedKeys.Parse(flags.AllTrustedPublicKeys);
        var substituters = new List<ISubstituter>();
        foreach (var url in urls)
        {
            if (!BinaryCacheSubstituter.Supports(url))
            {
                log.Warning($"substituter '{url}' is not supported by nixsharp (it substitutes from file:// and http(s):// binary caches); ignoring it");
                continue;
            }
            var substituter = new BinaryCacheSubstituter(url, store, trusted, flags.RequireSigs);
            _opened.Add(substituter);
            substituters.Add(substituter);
        }
        Set = new SubstituterSet(substituters, log.Warning);
    }

    public void Dispose()
    {
        foreach (var s in _opened) s.Dispose();
    }
}
