// Repairing one damaged or missing valid path for `store verify --repair`, in the order
// nix-store --verify --repair tries: a substituter's copy first (with the recorded NAR hash), else
// a rebuild of its deriver in the sandbox, if the deriver is valid; a path with neither cannot be
// repaired. Unlike Nix 2.8, a repair that fails leaves the path as it was (Nix may leave the
// substituter's wrong copy, or nothing, in its place) and is counted as an error.
namespace Nixsharp.Builder.Scheduling;

using Nixsharp.Store.Local;
using Nixsharp.Store.Substitution;

public sealed class PathRepairer
{
    private readonly LocalStore _store;
    private readonly Func<BuildSettings> _settings;
    private readonly IBuildLog _log;
    private readonly Func<string, string?> _getEnv;
    private readonly PathSubstituter? _substituter;
    private BuildSettings? _buildSettings;

    /// <param name="settings">Made when a first rebuild is needed (it may import the sandbox's shell).</param>
    public PathRepairer(LocalStore store, Func<BuildSettings> settings, IBuildLog log, Func<string, string?> getEnv,
        SubstituterSet? substituters)
    {
        _store = store;
        _settings = settings;
        _log = log;
        _getEnv = getEnv;
        if (substituters is { IsEmpty: false }) _substituter = new PathSubstituter(store, substituters, log);
    }

    /// <summary>Puts back `path` (`missing`: it disappeared rather than changed). Whether it is
    /// good now; what went wrong has been said.</summary>
    public bool Repair(string path, bool missing)
    {
        try
        {
            if (_substituter is not null && _substituter.Repair(path)) return true;
            var deriver = _store.QueryPathInfo(path)?.Deriver;
            if (deriver is null || !_store.IsValidPath(deriver))
            {
                // Nix words it as an error for a changed path and as a warning for a missing one.
                if (missing) _log.Warning($"cannot repair path '{path}'");
                else _log.Error($"cannot repair path '{path}'");
                return false;
            }
            _buildSettings ??= _settings() with { Repair = true, Check = false };
            var realiser = new Realiser(_store, _buildSettings, _log, _getEnv, _substituter);
            try
            {
                realiser.Realise([BuildRequest.All(deriver)]);
            }
            catch (RealiseException e)
            {
                _log.Error(e.Message);
                return false;
            }
            if (_store.ContentsGood(path)) return true;
            // Its deriver does not make it (any more): nothing rebuilt it.
            _log.Error($"cannot repair path '{path}'");
            return false;
        }
        catch (Exception e) when (e is StoreException or Nixsharp.Store.Database.StoreDatabaseException or IOException
                                      or UnauthorizedAccessException or BuildException or FormatException)
        {
            _log.Error(e.Message);
            return false;
        }
    }
}
