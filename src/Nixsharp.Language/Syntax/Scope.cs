// Compile-time scopes: variables are resolved to (levels up, slot) once, after parsing,
// so evaluation never looks a name up by string except through `with`.
namespace Nixsharp.Language.Syntax;

using Nixsharp.Language.Evaluation;

public sealed class Scope
{
    public Scope? Up { get; }
    public bool IsWith { get; }
    private readonly Dictionary<Symbol, int>? _vars;
    /// <summary>For the outermost scope: the values themselves, which never change.</summary>
    public IReadOnlyList<Value>? Constants { get; }

    private Scope(Scope? up, bool isWith, Dictionary<Symbol, int>? vars, IReadOnlyList<Value>? constants = null)
    {
        Up = up;
        IsWith = isWith;
        _vars = vars;
        Constants = constants;
    }

    /// <summary>The outermost scope, whose variables (builtins) are bound to fixed values.</summary>
    public static Scope ForConstants(IReadOnlyList<Symbol> names, IReadOnlyList<Value> values)
    {
        var d = new Dictionary<Symbol, int>(names.Count);
        for (int i = 0; i < names.Count; i++) d[names[i]] = i;
        return new Scope(null, false, d, values);
    }

    public static Scope ForWith(Scope up) => new(up, true, null);

    public static Scope ForNames(Scope? up, IReadOnlyList<Symbol> names)
    {
        var d = new Dictionary<Symbol, int>(names.Count, ReferenceEqualityComparer.Instance);
        for (int i = 0; i < names.Count; i++) d[names[i]] = i;
        return new Scope(up, false, d);
    }

    public bool TryGet(Symbol name, out int slot)
    {
        if (_vars is not null && _vars.TryGetValue(name, out slot)) return true;
        slot = -1;
        return false;
    }

    public int Count => _vars?.Count ?? 0;
}
