// Fetching a store path and the missing part of its closure from the substituters, as Nix's
// substitution goals do: substituters are tried in priority order; one whose copy is not signed by
// a trusted key is passed over with a warning; references come first (so every path registered
// has its closure valid); a failed download is reported as an error and the next substituter tried.
namespace Nixsharp.Builder.Scheduling;

using Nixsharp.Store.Local;
using Nixsharp.Store.Substitution;

/// <summary>How fetching a path ended.</summary>
public enum SubstitutionOutcome
{
    /// <summary>The path is valid (fetched now, or already).</summary>
    Valid,
    /// <summary>No substituter has a copy it may use.</summary>
    NoSubstituters,
    /// <summary>A download or its check failed (and no other substituter made up for it).</summary>
    Failed,
    /// <summary>A path it refers to could not be fetched, so neither was it.</summary>
    IncompleteClosure,
}

public sealed class PathSubstituter
{
    private readonly LocalStore _store;
    private readonly IBuildLog _log;
    private readonly object _gate = new();
    /// <summary>How each path went this attempt: a path is tried (and warned about) once.</summary>
    private readonly Dictionary<string, SubstitutionOutcome> _outcomes = new(StringComparer.Ordinal);

    public SubstituterSet Substituters { get; }

    public PathSubstituter(LocalStore store, SubstituterSet substituters, IBuildLog log)
    {
        _store = store;
        Substituters = substituters;
        _log = log;
    }

    /// <summary>Nix's order of substitution goals: by name, then path.</summary>
    public static string GoalKey(string storePath) => storePath.Substring(storePath.LastIndexOf('/') + 34) + "$" + storePath;

    /// <summary>Makes `path` valid by fetching it and what it refers to.</summary>
    public SubstitutionOutcome Substitute(string path)
    {
        lock (_gate) return SubstituteLocked(path);
    }

    /// <summary>How each repair from a substituter went this run: a path is tried once.</summary>
    private readonly Dictionary<string, bool> _repairOutcomes = new(StringComparer.Ordinal);

    /// <summary>Replaces the damaged contents of valid `path` with a substituter's copy (which
    /// must have the recorded NAR hash), trying substituters in order. Whether it worked.</summary>
    public bool Repair(string path)
    {
        lock (_gate)
        {
            if (_repairOutcomes.TryGetValue(path, out var known)) return known;
            _store.AddTempRoot(path);
            bool repaired = false;
            foreach (var (substituter, info) in Substituters.Candidates(path))
            {
                if (!info.Trusted)
                {
                    _log.Warning($"the substitute for '{path}' from '{substituter.Url}' is not signed by any of the keys in 'trusted-public-keys'");
                    continue;
                }
                _log.Info($"copying path '{path}' from '{substituter.Url}'...");
                try
                {
                    substituter.FetchForRepair(info, _store);
                    repaired = true;
                    break;
                }
                catch (SubstitutionException e)
                {
                    _log.Error(e.Message);
                }
            }
            return _repairOutcomes[path] = repaired;
        }
    }

    /// <summary>Forgets the paths that could not be fetched, so that they are tried afresh (once
    /// a derivation's inputs are built, the closure of its outputs may be complete).</summary>
    public void ForgetFailures()
    {
        lock (_gate) _outcomes.Clear();
    }

    private SubstitutionOutcome SubstituteLocked(string path)
    {
        _store.AddTempRoot(path);
        if (_store.IsValidPath(path)) return SubstitutionOutcome.Valid;
        if (_outcomes.TryGetValue(path, out var known)) return known;
        // Against a cycle of references (which no honest cache has): the path is not fetched.
        _outcomes[path] = SubstitutionOutcome.IncompleteClosure;
        bool failed = false;
        foreach (var (substituter, info) in Substituters.Candidates(path))
        {
            if (!info.Trusted)
            {
                _log.Warning($"the substitute for '{path}' from '{substituter.Url}' is not signed by any of the keys in 'trusted-public-keys'");
                continue;
            }
            bool complete = true;
            foreach (var r in info.References.Where(r => r != path).Order().OrderBy(GoalKey, StringComparer.Ordinal))
                complete &= SubstituteLocked(r) == SubstitutionOutcome.Valid;
            // The references are Nix's to fetch from any substituter; with one missing, the path
            // is not fetched from another either.
            if (!complete) return _outcomes[path] = SubstitutionOutcome.IncompleteClosure;
            _log.Info($"copying path '{path}' from '{substituter.Url}'...");
            try
            {
                substituter.Fetch(info, _store);
                return _outcomes[path] = SubstitutionOutcome.Valid;
            }
            catch (SubstitutionException e)
            {
                _log.Error(e.Message);
                failed = true;
            }
        }
        return _outcomes[path] = failed ? SubstitutionOutcome.Failed : SubstitutionOutcome.NoSubstituters;
    }
}
