// The substituters of a run, in the order they are asked: by priority (lower first), ties in the
// order configured, as Nix orders them. One that cannot be used is warned about once and skipped
// for the rest of the run. What each has been asked is remembered, so a path is asked about once.
namespace Nixsharp.Store.Substitution;

public sealed class SubstituterSet
{
    private readonly IReadOnlyList<ISubstituter> _configured;
    private readonly Action<string> _warn;
    private readonly object _gate = new();
    private List<ISubstituter>? _active;
    private readonly HashSet<ISubstituter> _disabled = new();
    private readonly Dictionary<(ISubstituter, string), SubstitutablePath?> _answers = new();

    /// <param name="warn">Gets the text of a warning (without "warning: ").</param>
    public SubstituterSet(IReadOnlyList<ISubstituter> substituters, Action<string> warn)
    {
        _configured = substituters;
        _warn = warn;
    }

    public bool IsEmpty => _configured.Count == 0;

    /// <summary>The usable substituters in the order they are asked. They are opened on first use,
    /// so a run that needs nothing does not touch them (nor warn about them).</summary>
    private List<ISubstituter> Active()
    {
        if (_active is not null) return _active;
        var usable = new List<(ISubstituter Sub, int Priority, int Index)>();
        for (int i = 0; i < _configured.Count; i++)
        {
            try { usable.Add((_configured[i], _configured[i].Priority, i)); }
            catch (SubstituterUnavailableException e) { _warn(e.Message); }
        }
        _active = usable.OrderBy(u => u.Priority).ThenBy(u => u.Index).Select(u => u.Sub).ToList();
        return _active;
    }

    /// <summary>For each of `paths` that some substituter has, what the first one that has it says
    /// (trusted or not: what listing "will be fetched" goes by).</summary>
    public Dictionary<string, (ISubstituter Substituter, SubstitutablePath Info)> QueryFirst(IReadOnlyCollection<string> paths)
    {
        var found = new Dictionary<string, (ISubstituter, SubstitutablePath)>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var sub in Active())
            {
                var left = paths.Where(p => !found.ContainsKey(p)).ToList();
                if (left.Count == 0) break;
                foreach (var (path, info) in Ask(sub, left)) found[path] = (sub, info);
            }
        }
        return found;
    }

    /// <summary>Every substituter that has `path`, in the order they are to be tried.</summary>
    public List<(ISubstituter Substituter, SubstitutablePath Info)> Candidates(string path)
    {
        var result = new List<(ISubstituter, SubstitutablePath)>();
        lock (_gate)
        {
            foreach (var sub in Active())
                if (Ask(sub, [path]).TryGetValue(path, out var info)) result.Add((sub, info));
        }
        return result;
    }

    private Dictionary<string, SubstitutablePath> Ask(ISubstituter sub, List<string> paths)
    {
        var result = new Dictionary<string, SubstitutablePath>(StringComparer.Ordinal);
        var unasked = new List<string>();
        foreach (var p in paths)
        {
            if (_answers.TryGetValue((sub, p), out var known)) { if (known is not null) result[p] = known; }
            else unasked.Add(p);
        }
        if (unasked.Count == 0 || _disabled.Contains(sub)) return result;
        IReadOnlyDictionary<string, SubstitutablePath> answer;
        try { answer = sub.Query(unasked); }
        catch (SubstituterUnavailableException e)
        {
            // Failing now, it would most likely fail again for every path: skip it from here on.
            _warn(e.Message);
            _disabled.Add(sub);
            return result;
        }
        foreach (var p in unasked)
        {
            answer.TryGetValue(p, out var info);
            _answers[(sub, p)] = info;
            if (info is not null) result[p] = info;
        }
        return result;
    }
}
