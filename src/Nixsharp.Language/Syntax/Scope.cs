// Compile-time scopes: variables are resolved to (levels up, slot) once, after parsing,
// so evaluation never looks a name up by string except through `with`.
namespace Nixsharp.Language.Syntax;

using Nixsharp.Language.Evaluation;

public sealed class Scope
{
    public Scope? Up { get; }
    public bool IsWith { get; }
    private readonly Dictionary<Symbol, int>? _vars;

    private Scope(Scope? up, bool isWith, Dictionary<Symbol, int>? vars)
    {
        Up = up;
        IsWith = isWith;
        _vars = vars;
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
