// Which derivations a value stands for, as nix-instantiate (and later nix-env and builds) find
// them: the value itself if it is one; the derivations among an attribute set's attributes (in
// name order, descending only into sets marked recurseForDerivations); every element of a list.
namespace Nixsharp.Language.Evaluation;

using System.Runtime.CompilerServices;
using Nixsharp.Language.Syntax;

/// <summary>A derivation found in a value. Its drvPath and outputName are evaluated only when
/// asked for, as Nix does (so warnings and errors appear in the same order).</summary>
public sealed class FoundDerivation
{
    private readonly EvalState _st;
    private readonly AttrsValue _attrs;
    private readonly Pos _pos;
    public string AttrPath { get; }
    public string Name { get; }

    internal FoundDerivation(EvalState st, AttrsValue attrs, string attrPath, string name, Pos pos)
    {
        _st = st; _attrs = attrs; AttrPath = attrPath; Name = name; _pos = pos;
    }

    public string QueryDrvPath()
    {
        var v = _attrs.Get(_st.Symbols["drvPath"]) ?? throw new EvalError("derivation does not contain a 'drvPath' attribute");
        return _st.ForceString(v, new ContextBuilder(), _pos);
    }

    public string QueryOutputName() =>
        _attrs.Get(_st.Symbols["outputName"]) is { } o ? _st.ForceString(o, _pos) : "";
}

public static class DerivationCollector
{
    public static List<FoundDerivation> Collect(EvalState st, Value v, AttrsValue autoArgs, Pos pos = default)
    {
        var found = new List<FoundDerivation>();
        var done = new HashSet<AttrsValue>(ReferenceEqualityComparer.Instance);
        Walk(st, v, "", autoArgs, found, done, pos, 0);
        return found;
    }

    private static void Walk(EvalState st, Value v, string path, AttrsValue autoArgs, List<FoundDerivation> found,
        HashSet<AttrsValue> done, Pos pos, int depth)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        v = st.Force(st.AutoCall(st.Force(v, pos), autoArgs), pos);
        if (!TryAdd(st, v, path, found, done, pos)) return;
        switch (v)
        {
            case AttrsValue attrs:
                foreach (var name in attrs.SortedNames())
                {
                    if (!IsPlainAttrName(name.Name)) continue;
                    var child = attrs.Get(name)!;
                    var childPath = path.Length == 0 ? name.Name : path + "." + name.Name;
                    var forced = st.Force(child, pos);
                    if (TryAdd(st, forced, childPath, found, done, pos) && forced is AttrsValue sub
                        && sub.Get(st.Symbols["recurseForDerivations"]) is { } rec && st.ForceBool(rec, pos))
                        Walk(st, sub, childPath, autoArgs, found, done, pos, depth + 1);
                }
                break;
            case ListValue list:
                for (int i = 0; i < list.Items.Length; i++)
                {
                    var childPath = path.Length == 0 ? i.ToString() : path + "." + i;
                    var forced = st.Force(list.Items[i], pos);
                    if (TryAdd(st, forced, childPath, found, done, pos))
                        Walk(st, forced, childPath, autoArgs, found, done, pos, depth + 1);
                }
                break;
            default:
                throw new EvalError("expression does not evaluate to a derivation (or a set or list of those)");
        }
    }

    /// <summary>Adds v if it is a derivation not seen before. True when v is not a derivation (so
    /// the caller may look inside it).</summary>
    private static bool TryAdd(EvalState st, Value v, string path, List<FoundDerivation> found, HashSet<AttrsValue> done, Pos pos)
    {
        if (v is not AttrsValue attrs || !st.IsDerivation(attrs)) return true;
        if (!done.Add(attrs)) return false;
        // Nix reads the name when it finds a derivation; the rest waits until it is needed.
        var nameValue = attrs.Get(st.Symbols["name"]) ?? throw new EvalError("derivation name missing");
        found.Add(new FoundDerivation(st, attrs, path, st.ForceString(nameValue, pos), pos));
        return false;
    }

    // Nix only looks at attributes whose names could be written without quotes.
    private static bool IsPlainAttrName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_')) return false;
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '+')) return false;
        return true;
    }
}
