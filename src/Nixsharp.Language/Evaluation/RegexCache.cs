// Compiled regular expressions for match/split, cached per evaluation (patterns repeat a lot).
namespace Nixsharp.Language.Evaluation;

using System.Text.RegularExpressions;
using Nixsharp.Language.Builtins;

public sealed class EvalRegexCache
{
    private readonly Dictionary<(string, bool), Regex> _cache = new();

    /// <summary>A .NET regex for a POSIX ERE; anchored ones must match the whole input.</summary>
    public Regex Get(string ere, bool anchored)
    {
        if (_cache.TryGetValue((ere, anchored), out var r)) return r;
        var translated = PosixRegex.Translate(ere);
        var pattern = anchored ? @"\A(?:" + translated + @")\z" : translated;
        r = new Regex(pattern, RegexOptions.CultureInvariant);
        _cache[(ere, anchored)] = r;
        return r;
    }
}
